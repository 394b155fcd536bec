// Token-axis matrix helpers (see token_matrix.h).
#include "worker/mixers/token_matrix.h"

namespace ms {

torch::Tensor causal_token_mask(int64_t rows, int64_t cols, int64_t row_tokens, int64_t col_tokens) {
  auto row_pos = torch::arange(rows, torch::kLong).mul(row_tokens).div(rows, "floor");
  auto col_pos = torch::arange(cols, torch::kLong).mul(col_tokens).div(cols, "floor");
  return col_pos.unsqueeze(0).le(row_pos.unsqueeze(1)).to(torch::kFloat);
}

}  // namespace ms
