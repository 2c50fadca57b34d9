// The page `trfpipe serve` answers GET / with (cli/serve_page.cpp).
#pragma once

namespace trfpipe::cli {

const char* serve_page_html();

}  // namespace trfpipe::cli
