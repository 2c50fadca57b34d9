// An area with no sources yet builds from this file (CMake needs one source per library).
