// Which metasweep this is, and which training semantics it implements. Both are recorded beside
// every job a run starts (jobs.trained_by, jobs.semantics), so results trained under different
// semantics never mix silently: the report says when a table mixes them, and
// `run --retrain-older` trains the older jobs again.
#pragma once
#include <nlohmann/json_fwd.hpp>

namespace ms {

inline constexpr const char* kMetasweepVersion = "0.2.0";

// Bumped whenever a release changes what training does for an unchanged resolved config (the
// job id stays, the numbers would not); semantics_needed says which configs the bump changed.
// History:
//   1  the first release (jobs without a recorded value trained under it or an early 2)
//   2  weight decay by parameter role: norms, biases, layer scales, position tables and scalars
//      are never decayed (they were under AdamW, by tensor rank) — issue 12
//   3  model.init trunc_normal is timm's (bounds ±2 absolute, in effect N(0, 0.02); it was cut at
//      ±2 std; model.init: poolformer is new); streamed evaluation images are decoded at full size; a data-parallel
//      group evaluates with rank 0's BatchNorm statistics; skipped corrupt images no longer
//      shrink the gradient; CIFAR crops pad with black (normalised), not the mean colour
//   4  task.train_subset / test_subset of an image folder or tar shards keep a fixed random N
//      images (images/sources/sample_order.h); they kept the first N, which a folder lists class
//      by class, so a subset could hold one class only
inline constexpr int kTrainingSemantics = 4;

// The oldest training semantics under which `config` (a resolved job config) trains as this
// release trains it: a job recorded under an older one (or none) has numbers this release would
// not give, and `run --retrain-older` trains it again; a job of a config a later bump left
// unchanged keeps its results (a fashion-mnist job is not retrained for semantics 4).
int semantics_needed(const nlohmann::json& config);

}  // namespace ms
