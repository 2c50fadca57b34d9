// Torch-free constants the transition systems (ner, parser) share.
#pragma once

namespace trfpipe::transition {

// The cost spaCy gives an invalid action (transition_system set_costs: 9000).
constexpr float kInvalidCost = 9000.f;

}  // namespace trfpipe::transition
