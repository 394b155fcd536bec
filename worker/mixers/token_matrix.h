// Causal masks for the mixers that multiply the flattened token axis by a matrix (spatial_fc,
// spatial_mlp, gmlp, random): which matrix entries may be non-zero so that output token i sees
// only input tokens j <= i.
#pragma once
#include <cstdint>

#include <torch/torch.h>

namespace ms {

// rows×cols 0/1 mask: entry (i, j) allowed when input token j is at or before output token i,
// where row i stands for token floor(i·row_tokens/rows), column j for floor(j·col_tokens/cols)
// (identity maps for square N×N; MADE-style orderings for the N→N/2→N token MLP).
torch::Tensor causal_token_mask(int64_t rows, int64_t cols, int64_t row_tokens, int64_t col_tokens);

}  // namespace ms
