// Which metasweep this is, and which training semantics it implements. Both are recorded beside
// every job a run starts (jobs.trained_by, jobs.semantics), so results trained under different
// semantics never mix silently: the report says when a table mixes them, and
// `run --retrain-older` trains the older jobs again.
#pragma once

namespace ms {

inline constexpr const char* kMetasweepVersion = "0.2.0";

// Bumped whenever a release changes what training does for an unchanged resolved config (the
// job id stays, the numbers would not). History:
//   1  the first release (jobs without a recorded value trained under it or an early 2)
//   2  weight decay by parameter role: norms, biases, layer scales, position tables and scalars
//      are never decayed (they were under AdamW, by tensor rank) — issue 12
inline constexpr int kTrainingSemantics = 2;

}  // namespace ms
