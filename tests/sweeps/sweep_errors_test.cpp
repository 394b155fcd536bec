// Every mistake a user can make in a sweep file gives FILE:LINE:COL and a precise message.
#include <gtest/gtest.h>

#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"

namespace ms {
namespace {

struct BadCase {
  const char* name;
  const char* yaml;
  int line;
  const char* needle;
};

const BadCase kCases[] = {
    {"yaml_syntax", "name: x\nbase: {model: [1, 2}\n", 2, "YAML syntax"},
    {"unknown_top_key", "name: x\nbsae: {}\n", 2, "unknown top-level key 'bsae'"},
    {"unknown_key", "name: x\nbase:\n  model:\n    poolsize: 3\n", 4,
     "unknown key 'model.poolsize' (did you mean 'model.pool_size'?)"},
    {"unknown_dotted_override", "name: x\nablations:\n  p:\n    - {model.poolsize: 5}\n", 4,
     "unknown key 'model.poolsize'"},
    {"unknown_mixer", "name: x\nbase:\n  model: {mixers: poool}\n", 3,
     "unknown model.mixers 'poool': expected one of identity, pool"},
    {"unknown_mixer_in_list", "name: x\nablations:\n  m:\n    - {model.mixers: [pool, pool, atention, pool]}\n", 4,
     "did you mean 'attention'"},
    {"unknown_norm", "name: x\nbase: {model: {norm: groupnorm}}\n", 2,
     "expected one of group1, layernorm, batchnorm, rmsnorm, none"},
    {"unknown_activation", "name: x\nbase: {model: {activation: swish}}\n", 2, "unknown model.activation 'swish'"},
    {"unknown_dataset", "name: x\nbase: {task: {dataset: imagenet}}\n", 2, "unknown task.dataset 'imagenet'"},
    {"stage_list_length", "name: x\nbase:\n  model: {mixers: [pool, attention]}\n", 3,
     "model.mixers lists 2 stages but the model has 4"},
    {"depths_dims_mismatch", "name: x\nbase:\n  model:\n    depths: [2, 2, 6, 2]\n    dims: [64, 128]\n", 5,
     "model.depths has 4 stages but model.dims has 2"},
    {"variant_depths_against_base_dims",
     "name: x\nbase:\n  model: {depths: [1, 1], dims: [8, 16]}\nablations:\n  d:\n    - {model.depths: [1, 1, 1]}\n", 6,
     "model.depths has 3 stages but model.dims has 2"},
    {"variant_depths_against_base_mixers",
     "name: x\nbase:\n  model: {depths: [1, 1], dims: [8, 16], mixers: [pool, attention]}\nablations:\n  d:\n"
     "    - {model.depths: [1, 1, 1], model.dims: [8, 8, 16]}\n",
     6, "model.mixers lists 2 stages but the model has 3"},
    {"train_subset_beyond_the_files", "name: x\nbase: {task: {dataset: fashion-mnist, train_subset: 100000}}\n", 2,
     "task.train_subset 100000 is more than the 60000 training examples fashion-mnist has (0 = all of them)"},
    {"test_subset_beyond_the_files", "name: x\nbase:\n  task: {dataset: mnist, test_subset: 20000}\n", 3,
     "task.test_subset 20000 is more than the 10000 test examples mnist has"},
    {"zip_unequal", "name: x\nzip:\n  - {model.pool_size: [3, 5], model.drop_path: [0.1]}\n", 3,
     "zip lists must have equal lengths"},
    {"zero_epochs", "name: x\nbase: {task: {epochs: 0}}\n", 2, "task.epochs must be between 1 and"},
    {"huge_epochs", "name: x\nbase: {task: {epochs: 1e99}}\n", 2, "task.epochs must be between 1 and"},
    {"negative_batch", "name: x\nbase: {task: {batch_size: -4}}\n", 2, "task.batch_size must be between 1 and"},
    {"huge_open_ended_int", "name: x\nbase: {task: {train_subset: 5.33333e+23}}\n", 2,
     "task.train_subset must be an integer of magnitude at most 2^53"},
    {"negative_dims", "name: x\nbase: {model: {depths: [1, 1], dims: [-8, 16]}}\n", 2,
     "model.dims must be between 1 and"},
    {"negative_subset", "name: x\nbase: {task: {test_subset: -1}}\n", 2, "task.test_subset must be"},
    {"even_pool", "name: x\nablations:\n  p:\n    model.pool_size: [3, 4]\n", 4, "model.pool_size must be odd"},
    {"duplicate_key", "name: x\nbase:\n  model: {norm: none}\n  model: {norm: group1}\n", 4, "duplicate key 'model'"},
    // One key spelt dotted and nested: the last value won silently, and a variant's label named both.
    {"duplicate_key_dotted_and_nested",
     "name: x\nablations:\n  o:\n    - {model.pool_size: 5,\n       model: {pool_size: 7}}\n", 5,
     "duplicate key 'model.pool_size' (also set at line 4, column 25)"},
    {"duplicate_key_in_base", "name: x\nbase:\n  model: {pool_size: 3}\n  model.pool_size: 5\n", 4,
     "duplicate key 'model.pool_size' (also set at line 3"},
    // grid and zip (or two zip entries) setting one key: cells labelled with both values, one run.
    {"label_in_base", "name: x\nbase:\n  label: mine\n", 3,
     "label belongs to a variant written as a mapping in an ablations section"},
    {"reference_in_base", "name: x\nbase: {reference: 77.2}\n", 2,
     "the baseline's published figure is the top-level 'reference'"},
    {"empty_name", "name: \"\"\n", 1, "sweep name is empty"},
    {"custom_tag", "name: x\nbase:\n  model: {pool_size: !custom 5}\n", 3,
     "the YAML tag !custom means nothing in a sweep file"},
    {"binary_label", "name: x\nablations:\n  a:\n    - {label: !!binary aGVsbG8=, model.norm: none}\n", 4,
     "the YAML tag !!binary means nothing in a sweep file"},
    {"merge_key", "name: x\nbase:\n  model: &m {norm: none}\nablations:\n  a:\n    - {<<: *m, label: y}\n", 6,
     "YAML merge keys (<<) are not supported: write the keys out"},
    {"grid_and_zip_set_one_key",
     "name: x\ngrid:\n  model.activation: [gelu, relu]\nzip:\n  - {model.activation: [relu, gelu]}\n", 5,
     "model.activation is also set by grid (line 3): a cell would be labelled with both values and run one"},
    {"two_zips_set_one_key",
     "name: x\nzip:\n  - {model.activation: [relu, gelu]}\n  - {model: [{activation: gelu}, {activation: relu}]}\n",
     4, "model.activation is also set by zip (line 3)"},
    {"synthetic_subset_beyond_its_size",
     "name: x\nbase: {task: {dataset: synthetic-images, train_size: 256, train_subset: 300}}\n", 2,
     "task.train_subset 300 is more than the 256 training examples synthetic-images generates (task.train_size)"},
    {"sequence_test_subset_beyond_its_size",
     "name: x\nbase: {task: {dataset: reverse, test_subset: 100000}}\n", 2,
     "task.test_subset 100000 is more than the 10000 test examples reverse generates (task.test_size)"},
    {"wrong_type_int", "name: x\nbase: {task: {epochs: five}}\n", 2, "task.epochs must be a number, got 'five'"},
    {"wrong_type_float", "name: x\nbase: {task: {optimizer: {lr: [1]}}}\n", 2, "task.optimizer.lr must be a number"},
    {"fractional_int", "name: x\nbase: {task: {epochs: 2.5}}\n", 2, "task.epochs must be an integer"},
    {"wrong_type_bool", "name: x\nbase: {model: {residual: maybe}}\n", 2, "model.residual must be true or false"},
    {"missing_name", "base: {}\n", 1, "missing 'name'"},
    {"name_not_text", "name: [a]\n", 1, "'name' must be one line of text"},
    {"group_given_a_value", "name: x\nbase: {task: {optimizer: 5}}\n", 2,
     "task.optimizer is a group of keys and takes a mapping (e.g. {name: ...}), got '5'"},
    {"misspelt_group", "name: x\nbase: {task: {optimzer: {lr: 0.1}}}\n", 2, "(did you mean 'task.optimizer'?)"},
    {"learning_rate", "name: x\nbase: {task: {optimizer: {lerning_rate: 0.1}}}\n", 2,
     "(did you mean 'task.optimizer.lr'?)"},
    {"empty_dims", "name: x\nbase: {model: {dims: []}}\n", 2,
     "model.dims must be a non-empty list of integers, got an empty list"},
    {"subnormal_lr", "name: x\nbase: {task: {optimizer: {lr: 5e-324}}}\n", 2,
     "task.optimizer.lr is too close to 0 to be represented"},
    {"seed_bounds_as_written", "name: x\nseeds: [-1]\n", 2, "between 0 and 2147483647"},
    // Aliases: a node inside itself (a stack overflow before), and nested aliases that expand
    // to a billion values (minutes of parsing before the error; now refused at a million).
    {"alias_cycle", "name: qa\nbase: &b {x: *b}\n", 2, "an alias refers to a node that contains it"},
    {"alias_cycle_in_seeds", "name: qa\nseeds: &s [*s]\n", 2, "an alias refers to a node that contains it"},
    {"alias_bomb",
     "name: qa\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
     "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n",
     2, "values through its aliases"},  // reported at the innermost anchor's value
    // An unclosed quote: yaml-cpp reads the rest of the file into the value and says nothing.
    {"unclosed_single_quote", "name: 'tiny\nbase:\n  task: {epochs: 1}\n", 1, "has no closing '"},
    {"unclosed_double_quote", "name: x\ndescription: \"oops\nbase: {}\n", 2, "has no closing \""},
    {"unclosed_quote_in_label", "name: x\nablations:\n  s:\n    - label: \"pool 5\n      model.pool_size: 5\n", 4,
     "has no closing \""},
    {"nan_value", "name: x\nbase: {task: {optimizer: {lr: .nan}}}\n", 2, "must be"},
    {"heads_not_dividing", "name: x\nbase: {model: {mixers: attention, heads: 3}}\n", 2,
     "is not divisible into 3 heads"},
    {"sequence_on_images", "name: x\nbase: {model: {arch: sequence, depths: [2], dims: [64]}}\n", 2,
     "needs a sequence dataset"},
    {"causal_fourier",
     "name: x\nbase:\n  task: {dataset: charlm, text_file: /tmp/t.txt}\n  model: {arch: sequence, depths: [2], dims: "
     "[64], mixers: fourier, norm: layernorm}\n",
     4, "has no causal form"},
    {"seeds_as_a_count", "name: x\nseeds: 3\n", 2,
     "seeds is a list of seed values (seeds: [3] for the one seed 3; seeds: [0, 1, 2] for three seeds)"},
    {"seeds_as_a_map", "name: x\nseeds: {a: 1}\n", 2, "seeds is a list of seed values (e.g. seeds: [0, 1, 2])"},
    {"empty_seeds", "name: x\nseeds: []\n", 2, "at least one seed"},
    {"duplicate_seed", "name: x\nseeds: [0, 1, 0]\n", 2, "seed 0 is listed twice"},
    {"image_too_small", "name: x\nbase: {task: {dataset: synthetic-images, image_size: 2}}\n", 2, "shrinks to nothing"},
    // Names (issue 13): the label that escaped gnuplot's quoting, control characters, bad UTF-8.
    {"label_with_newlines",
     "name: x\nablations:\n  s:\n    - {label: \"x'\\nsystem \\\"touch /tmp/PWNED\\\"\\n#\", model.pool_size: 5}\n", 4,
     "contains a control character"},
    {"label_with_tab", "name: x\nablations:\n  s:\n    - {label: \"a\\tb\", model.pool_size: 5}\n", 4,
     "control character"},
    {"section_with_control", "name: x\nablations:\n  \"a\\x01b\":\n    model.pool_size: [5]\n", 3,
     "section name 'a\\x01b' contains a control character"},
    {"section_with_del", "name: x\nablations:\n  \"a\\x7fb\":\n    model.pool_size: [5]\n", 3, "control character"},
    {"sweep_name_with_newline", "name: \"a\\nb\"\n", 1, "sweep name 'a\\x0Ab' contains a control character"},
    {"invalid_utf8_label", "name: x\nablations:\n  s:\n    - {label: caf\xc3, model.pool_size: 5}\n", 4,
     "not valid UTF-8"},
    {"invalid_utf8_name", "name: \xff\xfe\n", 1, "not valid UTF-8"},
    {"duplicate_label",
     "name: x\nablations:\n  s:\n    - {label: same, task.optimizer.lr: 0.002}\n    - {label: same, task.optimizer.lr: "
     "0.2}\n",
     5, "label 'same' is used twice in section 's'"},
    {"duplicate_label_after_trim",
     "name: x\nablations:\n  s:\n    - {label: same, task.optimizer.lr: 0.002}\n    - {label: \"same \", "
     "task.optimizer.lr: 0.2}\n",
     5, "is used twice in section 's'"},
    {"duplicate_label_canonically_equivalent",  // "café" precomposed (U+00E9), then "cafe" + U+0301
     "name: x\nablations:\n  s:\n    - {label: caf\xc3\xa9, task.optimizer.lr: 0.002}\n    - {label: cafe\xcc\x81, "
     "task.optimizer.lr: 0.2}\n",
     5, "differ only in how their accented letters are encoded"},
    {"section_canonically_equivalent",  // "Å" as U+00C5, then as the angstrom sign U+212B
     "name: x\nablations:\n  \xc3\x85:\n    model.pool_size: [5]\n  \"\xe2\x84\xab\":\n    model.pool_size: [7]\n", 5,
     "is used twice"},
    {"gmlp_mixer_odd_dim", "name: x\nbase:\n  model: {mixers: gmlp, depths: [1, 1], dims: [16, 31]}\n", 3,
     "stage 2: the gmlp mixer splits channels in two, and dim 31 is odd"},
    {"gmlp_block_with_pool_mixer", "name: x\nbase:\n  model: {block: gmlp, depths: [1], dims: [16]}\n", 3,
     "model.block gmlp mixes tokens with its spatial gating unit: set model.mixers: gmlp"},
    {"gmlp_block_odd_d_ffn",
     "name: x\nbase:\n  model: {block: gmlp, mixers: gmlp, depths: [1], dims: [15], mlp_ratio: 1}\n", 3, "d_ffn 15"},
    {"gmlp_block_without_channel_mlp",
     "name: x\nbase:\n  model: {block: gmlp, mixers: gmlp, depths: [1], dims: [16], channel_mlp: false}\n", 3,
     "no separate channel MLP"},
    {"duplicate_generated_label", "name: x\nablations:\n  p:\n    model.pool_size: [5, 5]\n", 4,
     "label 'model.pool_size=5' is used twice"},
    {"empty_label", "name: x\nablations:\n  s:\n    - {label: \"\", model.pool_size: 5}\n", 4, "label is empty"},
    {"blank_label", "name: x\nablations:\n  s:\n    - {label: \"   \", model.pool_size: 5}\n", 4, "label is empty"},
    {"label_baseline", "name: x\nablations:\n  s:\n    - {label: \" baseline \", model.pool_size: 5}\n", 4,
     "is reserved"},
    {"section_baseline", "name: x\nablations:\n  baseline:\n    model.pool_size: [5]\n", 3, "is reserved"},
    {"section_baseline_spaces", "name: x\nablations:\n  \" baseline\":\n    model.pool_size: [5]\n", 3, "is reserved"},
    {"empty_section_name", "name: x\nablations:\n  \"\":\n    model.pool_size: [5]\n", 3, "section name is empty"},
    {"section_twice_after_trim",
     "name: x\nablations:\n  a:\n    model.pool_size: [5]\n  \"a \":\n    model.pool_size: [7]\n", 5, "is used twice"},
    {"empty_section", "name: x\nablations:\n  empty: []\n", 3, "section 'empty' has no variants"},
    {"empty_section_map", "name: x\nablations:\n  empty: {}\n", 3, "section 'empty' has no variants"},
    {"blank_sweep_name", "name: \"  \"\n", 1, "sweep name is empty"},
    // Every string of a sweep file is user text (text hygiene): control characters that YAML
    // escapes put into scalars, raw control bytes, C1 controls, in any key or value.
    {"description_with_escape", "name: x\ndescription: \"desc\\u0001with\\u001b[31mRED\\u001b[0m\"\n", 2,
     "description 'desc\\x01with\\x1B[31mRED\\x1B[0m' contains a control character (U+0001"},
    {"reference_metric_bell", "name: x\nreference_metric: \"top1\\u0007bell\"\n", 2,
     "reference_metric 'top1\\x07bell' contains a control character (U+0007"},
    {"data_dir_control", "name: x\nbase:\n  task:\n    data_dir: \"/tmp/a\\x01b\"\n", 4,
     "base.task.data_dir '/tmp/a\\x01b' contains a control character"},
    {"data_dir_c1", "name: x\nbase:\n  task:\n    data_dir: \"/tmp/\\u009b31m\"\n", 4, "(U+009B"},
    {"value_in_variant", "name: x\nablations:\n  s:\n    - {model.norm: \"layer\\tnorm\"}\n", 4,
     "contains a control character (U+0009"},
    {"exclude_entry", "name: x\nexclude:\n  - {model.norm: \"no\\x1bne\"}\n", 3, "contains a control character"},
    {"grid_value", "name: x\ngrid:\n  model.activation: [gelu, \"re\\x00lu\"]\n", 3, "control character (U+0000"},
    {"key_with_control", "name: x\nbase:\n  \"mo\\x01del\": {}\n", 3, "key 'mo\\x01del' contains a control character"},
    {"description_newline_in_key_path", "name: x\nbase: {task: {dataset: \"fashion\\nmnist\"}}\n", 2,
     "base.task.dataset 'fashion\\x0Amnist' contains a control character"},
    {"raw_control_byte_in_file", "name: x\n# a comment \x07 with a bell\n", 2,
     "the file contains a control character (U+0007) here"},
    {"raw_c1_in_file", "name: x\ndescription: a \xc2\x85 b\n", 2,
     "the file contains a control character (U+0085) here"},
    // QA ux #8: text that displays in another order than it is stored, and line separators in a
    // one-line name, are refused like control characters (raw in the file, or as YAML escapes).
    {"label_with_rlo", "name: x\nablations:\n  s:\n    - {label: \"a\\u202Eb\", model.norm: layernorm}\n", 4,
     "label 'a\\u202Eb' contains a bidirectional formatting character (U+202E"},
    {"section_with_isolate", "name: x\nablations:\n  \"s\\u2067x\":\n    model.pool_size: [5]\n", 3,
     "section name 's\\u2067x' contains a bidirectional formatting character (U+2067"},
    {"raw_rlo_in_file", "name: x\n# a comment \xe2\x80\xae hidden\n", 2,
     "the file contains a bidirectional formatting character (U+202E) here"},
    {"name_with_line_separator", "name: \"a\\u2028b\"\n", 1,
     "sweep name 'a\\u2028b' contains a line separator (U+2028"},
    {"label_with_paragraph_separator",
     "name: x\nablations:\n  s:\n    - {label: \"a\xe2\x80\xa9"  // "\xa9b" would be one hex escape
     "b\", model.norm: layernorm}\n",
     4, "label 'a\\u2029b' contains a line separator (U+2029"},
    // Image recipe (issue 15): RandAugment strings, where they apply, and what Mixup can mix.
    {"rand_augment_bad_spec",
     "name: x\nbase:\n  task: {dataset: imagefolder, data_dir: /d, num_classes: 10}\nablations:\n  a:\n    - "
     "{task.augment.rand_augment: "
     "rand-m9-x2}\n",
     6, "task.augment.rand_augment 'rand-m9-x2': unknown part 'x2'"},
    {"rand_augment_in_memory", "name: x\nbase:\n  task: {augment: {rand_augment: rand-m9-mstd0.5-inc1}}\n", 3,
     "task.augment.rand_augment applies to streamed image datasets (imagefolder, webdataset); fashion-mnist is "
     "held in memory"},
    {"erasing_in_memory", "name: x\nablations:\n  e:\n    - {task.augment.erasing: 0.5}\n", 4,
     "task.augment.erasing applies to streamed image datasets"},
    {"shards_for_imagefolder",
     "name: x\nbase:\n  task: {dataset: imagefolder, data_dir: /d, num_classes: 2, train_shards: /s}\n", 3,
     "task.train_shards names tar shards of the webdataset dataset; imagefolder reads none"},
    {"on_corrupt_in_memory", "name: x\nablations:\n  c:\n    - {task.on_corrupt: skip}\n", 4,
     "task.on_corrupt applies to image files read from disk"},
    {"shard_pattern_unclosed",
     "name: x\nbase:\n  task: {dataset: webdataset, num_classes: 2, train_shards: \"/no/s-{0..3.tar\", "
     "val_shards: /no/v.tar}\n",
     3, "task.train_shards: shard pattern \"/no/s-{0..3.tar\" has an unclosed '{'"},
    {"shard_pattern_too_many",
     "name: x\nbase:\n  task: {dataset: webdataset, num_classes: 2, train_shards: /no/t.tar, "
     "val_shards: \"/no/v-{0..99999999}.tar\"}\n",
     3, "expands to too many names"},
    {"mixup_on_tokens",
     "name: x\nbase:\n  task: {dataset: copy, augment: {mixup: 0.8}}\n  model: {arch: sequence, depths: [1], dims: "
     "[16]}\n",
     3, "Mixup and CutMix mix images; copy is a sequence task"},
    // Sweep-file QA pass: several documents, top-level hints, quoted/tagged scalars, exclusions
    // and de-duplication that would leave a section (or everything) empty.
    {"second_document", "name: a\nbase: {}\n---\nname: b\n", 3, "a second YAML document starts here"},
    {"second_document_after_marker", "---\nname: a\n---\nname: b\nbase: {}\n", 3, "a second YAML document"},
    {"second_document_marker_line", "name: a\n# two sweeps\n--- # the next\n\n  name: b\n", 3,
     "a second YAML document"},
    {"second_document_after_end", "name: a\n...\n# more\nname: b\n", 4, "a second YAML document"},
    {"unknown_top_key_hint", "name: x\nseed: 1\n", 2,
     "unknown top-level key 'seed': expected one of name, description, base, seeds, ablations, grid, zip, exclude, "
     "reference, reference_metric (did you mean 'seeds'?)"},
    {"quoted_no_is_not_a_bool", "name: x\nbase: {model: {residual: \"no\"}}\n", 2,
     "model.residual must be true or false, got the text 'no' (quoted or !!str"},
    {"single_quoted_true_is_not_a_bool", "name: x\nablations:\n  r:\n    - {model.channel_mlp: 'false'}\n", 4,
     "model.channel_mlp must be true or false"},
    {"str_tag_is_not_a_bool", "name: x\nbase: {model: {residual: !!str yes}}\n", 2,
     "model.residual must be true or false"},
    {"str_tag_is_not_a_number", "name: x\nbase:\n  task: {epochs: !!str 1}\n", 3,
     "task.epochs must be a number, got the text '1'"},
    {"quoted_int_in_list", "name: x\nbase: {model: {depths: [1, \"1\"], dims: [8, 16]}}\n", 2,
     "model.depths must be a number, got the text '1'"},
    {"quoted_heads", "name: x\nbase: {model: {heads: '2'}}\n", 2,
     "model.heads must be auto, an integer between 1 and 4096 or a list of one per stage, got the text '2'"},
    {"heads_word", "name: x\nbase: {model: {heads: foo}}\n", 2,
     "model.heads must be auto, an integer between 1 and 4096 or a list of one per stage, got 'foo'"},
    {"heads_auto_case", "name: x\nbase: {model: {heads: [AUTO, 2]}}\n", 2, "got 'AUTO' (did you mean 'auto'?)"},
    {"quoted_seed", "name: x\nseeds: [0, \"1\"]\n", 2, "seeds must be a number"},
    {"attention_heads_in_variant",
     "name: x\nbase: {model: {heads: 3, dims: [8], depths: [1], mixers: pool}}\nablations:\n  m:\n    - "
     "{model.mixers: attention}\n",
     2, "stage 1: dim 8 is not divisible into 3 heads"},
    {"exclude_empties_section",
     "name: x\nablations:\n  pool:\n    model.pool_size: [5]\n  norm:\n    model.norm: [none]\nexclude:\n  - "
     "{model.pool_size: 5}\n",
     8, "this exclude entry removes every job of section 'pool': no section may be empty"},
    {"exclude_everything",
     "name: x\nablations:\n  n:\n    model.norm: [none]\nexclude:\n  - {model.depths: [2, 2, 6, 2]}\n", 6,
     "this exclude entry removes every job of the sweep: nothing would run"},
    {"exclude_everything_by_two",
     "name: x\nablations:\n  n:\n    model.norm: [none]\nexclude:\n  - {model.norm: none}\n  - "
     "{model.norm: group1}\n",
     6, "removes every job of the sweep (with the exclude entries at line 7)"},
    {"exclude_only_group1", "name: x\nexclude:\n  - {model.norm: group1}\n", 3, "removes every job of the sweep"},
    {"exclude_baseline", "name: x\nablations:\n  n:\n    model.norm: [none]\nexclude:\n  - {model.norm: group1}\n", 6,
     "this exclude entry removes the baseline: every table compares against it"},
    {"exclude_baseline_cells",
     "name: x\nablations:\n  p:\n    model.pool_size: [5]\ngrid:\n  model.activation: [gelu, relu]\nexclude:\n  - "
     "{model.pool_size: 3}\n",
     8, "removes the baseline"},
    {"section_folds_into_baseline",
     "name: x\nbase: {model: {pool_size: 3}}\nablations:\n  pool:\n    model.pool_size: [3]\n", 5,
     "section 'pool' has no jobs of its own: variant 'model.pool_size=3' is the same job as the baseline"},
    {"section_folds_into_other_section",
     "name: x\nablations:\n  a:\n    - {label: five, model.pool_size: 5}\n  b:\n    - {label: also five, "
     "model.pool_size: "
     "5.0}\n",
     6, "variant 'also five' is the same job as 'five' (section 'a')"},
    // A cell's value would replace the variant's: the variant as labelled would never run.
    {"variant_key_also_in_grid",
     "name: x\nablations:\n  a:\n    - {model.norm: none, model.activation: relu}\ngrid:\n  model.norm: [group1, "
     "layernorm]\n",
     4,
     "variant 'model.norm=none, model.activation=relu' of section 'a' sets model.norm, which grid (line 6) also sets"},
    {"variant_key_also_in_zip",
     "name: x\nablations:\n  a:\n    model.pool_size: [5]\nzip:\n  - {model.norm: [none, layernorm], "
     "model.pool_size: [3, 7]}\n",
     4, "sets model.pool_size, which zip (line 6) also sets"},
    {"variant_mapping_under_grid_key",
     "name: x\nablations:\n  s:\n    - {model.stem.kernel: 3}\ngrid:\n  model.stem: [{kernel: 7, stride: 4, "
     "padding: 2}]\n",
     4, "sets model.stem.kernel, which grid (line 6) also sets: every cell"},
    // Keys that do nothing for the dataset, which an ablation of would show nothing.
    {"train_size_for_files", "name: x\nbase:\n  task: {dataset: fashion-mnist, train_size: 128}\n", 3,
     "task.train_size sets how many examples a generated dataset makes (synthetic-images, reverse, sort, swap, "
     "sub, copy); fashion-mnist reads its examples from its files (task.train_subset trains on fewer)"},
    {"seq_len_for_images", "name: x\nablations:\n  s:\n    task.seq_len: [8]\n", 4,
     "task.seq_len applies to sequence datasets (reverse, sort, swap, sub, copy, charlm); fashion-mnist is an "
     "image dataset"},
    {"text_file_for_images", "name: x\nablations:\n  s:\n    task.text_file: [a.txt]\n", 4,
     "task.text_file names charlm's text; fashion-mnist reads none"},
    {"data_dir_for_generated", "name: x\nbase:\n  task: {dataset: synthetic-images, data_dir: /data}\n", 3,
     "task.data_dir names the folder of a dataset read from files (fashion-mnist, mnist, cifar10, imagefolder, "
     "webdataset); synthetic-images is generated and reads no files"},
    {"data_dir_for_charlm",
     "name: x\nbase:\n  task: {dataset: charlm, text_file: a.txt, data_dir: /data}\n  model: {arch: sequence, "
     "depths: [1], dims: [8], mixers: attention, norm: layernorm}\n",
     3, "task.data_dir names the folder of a dataset read from files (fashion-mnist, mnist, cifar10, imagefolder, "
     "webdataset); charlm reads task.text_file"},
    {"image_size_for_sequences",
     "name: x\nbase:\n  task: {dataset: reverse, image_size: 32}\n  model: {arch: sequence, depths: [1], dims: [8], "
     "mixers: attention, norm: layernorm}\n",
     3, "task.image_size applies to image datasets; reverse is a sequence task"},
    {"test_size_for_charlm",
     "name: x\nbase:\n  task: {dataset: charlm, text_file: t.txt, seq_len: 8}\n  model: {arch: sequence, depths: "
     "[1], dims: [8], mixers: attention, norm: layernorm}\nablations:\n  s:\n    - {task.test_size: 64}\n",
     7, "task.test_size sets how many examples a generated dataset makes"},
    {"vocab_for_charlm",
     "name: x\nbase:\n  task: {dataset: charlm, text_file: t.txt, seq_len: 8, vocab: 7}\n  model: {arch: "
     "sequence, depths: [1], dims: [8], mixers: attention, norm: layernorm}\n",
     3, "task.vocab does not apply to charlm: its tokens are the 256 byte values"},
    {"mlp_ratio_zero", "name: x\nablations:\n  m:\n    model.mlp_ratio: [0]\n", 4,
     "model.mlp_ratio 0.0 x dim 64 leaves stage 1's channel MLP without a hidden unit; to drop the channel MLP, "
     "set model.channel_mlp: false"},
    // Written in the base, broken by one variant: the base's line, and the variant named.
    {"base_heads_broken_by_a_variant",
     "name: x\nbase:\n  model: {depths: [1, 1], dims: [8, 32], heads: 3}\nablations:\n  m:\n    - {label: "
     "'[P,A]', model.mixers: [pool, attention]}\n",
     3, "not divisible into 3 heads (for variant '[P,A]' of section 'm', line 6)"},
    {"enum_other_case", "name: x\nbase: {model: {activation: GELU}}\n", 2, "(did you mean 'gelu'?)"},
    {"enum_other_tools_name", "name: x\nbase: {model: {norm: groupnorm}}\n", 2, "(did you mean 'group1'?)"},
    {"enum_swish", "name: x\nbase: {model: {activation: swish}}\n", 2, "(did you mean 'silu'?)"},
    {"grid_list_key_value_not_a_list_of_lists", "name: x\nablations:\n  s:\n    model.dims: 64\n", 4,
     "model.dims: expected a non-empty list of values, got '64' (each value of model.dims is itself a list: [[...], "
     "[...]])"},
    {"grid_value_quoted", "name: x\ngrid:\n  model.norm: \"layernorm\"\n", 3,
     "model.norm: expected a non-empty list of values, got 'layernorm' (one value is a list too: [layernorm])"},
    {"grid_on_a_group_only_collides_on_the_keys_it_sets",
     "name: x\nablations:\n  o:\n    - {task.optimizer.name: sgd, task.optimizer.lr: 0.1}\ngrid:\n  task.optimizer: "
     "[{lr: 1.0e-3}, {lr: 2.0e-3}]\n",
     4, "sets task.optimizer.lr, which grid (line 6) also sets"},
    {"grid_value_not_a_list", "name: x\ngrid:\n  model.norm: layernorm\n", 3,
     "model.norm: expected a non-empty list of values, got 'layernorm' (one value is a list too: [layernorm])"},
    // A variant that changes only what its training never reads (sweeps/inert_keys.h): its row would
    // read "no effect" for a factor never applied. Said at the key the variant sets.
    {"variant_pool_size_without_a_pool_stage",
     "name: x\nbase:\n  model: {mixers: identity}\nablations:\n  kernel:\n    model.pool_size: [5]\n", 6,
     "variant 'model.pool_size=5' of section 'kernel' trains exactly as the baseline: model.pool_size is the kernel "
     "of the pool and dwconv mixers, and no stage of this model has one (mixers: identity, identity, identity, "
     "identity); ablate a key its model reads, or remove the variant"},
    {"variant_head_dim_without_heads", "name: x\nablations:\n  heads:\n    - {model.head_dim: 16}\n", 4,
     "model.heads and model.head_dim size attention heads, and no stage of this model has a mixer with heads (mixers: "
     "pool, pool, pool, pool)"},
    {"variant_momentum_under_adamw", "name: x\nablations:\n  opt:\n    - {label: m05, task.optimizer.momentum: 0.5}\n",
     4,
     "variant 'm05' of section 'opt' trains exactly as the baseline: task.optimizer.momentum is sgd's, and this job "
     "trains with adamw"},
    {"variant_nesterov_and_momentum_under_adam",
     "name: x\nbase: {task: {optimizer: {name: adam}}}\nablations:\n  opt:\n    - {task.optimizer.momentum: 0.5, "
     "task.optimizer.nesterov: true}\n",
     5, "task.optimizer.momentum is sgd's, and this job trains with adam; task.optimizer.nesterov is sgd's"},
    {"variant_min_lr_under_constant",
     "name: x\nbase: {task: {schedule: {name: constant}}}\nablations:\n  floor:\n    task.schedule.min_lr: "
     "[1.0e-5]\n",
     5, "task.schedule.min_lr is the cosine schedule's floor, and this job's schedule is constant"},
    {"variant_positions_in_a_metaformer", "name: x\nablations:\n  pos:\n    model.positions: [learned, none]\n", 4,
     "variant 'model.positions=learned' of section 'pos' trains exactly as the baseline: model.positions applies to "
     "model.arch sequence"},
    {"variant_mlp_ratio_without_a_channel_mlp",
     "name: x\nbase: {model: {channel_mlp: false}}\nablations:\n  width:\n    model.mlp_ratio: [2.0]\n", 5,
     "model.mlp_ratio sizes the channel MLP, which model.channel_mlp: false removes"},
};

class BadSweep : public ::testing::TestWithParam<BadCase> {};

// In a grid, a variant may be inert in some cells only (sgd's momentum in the adamw cell): those
// cells are left out with a warning, the others plan; an exclude of them leaves nothing to say.
// A cell whose baseline an exclude removed is not compared (its rows have no Δ anyway).
TEST(SweepInertKeys, CellsWhereAVariantChangesNothingAreLeftOut) {
  const std::string sweep =
      "name: x\nablations:\n  o:\n    task.optimizer.momentum: [0.5]\ngrid:\n  task.optimizer.name: [sgd, adamw]\n";
  std::vector<std::string> warnings;
  const std::vector<Job> jobs =
      expand_sweep(parse_sweep(sweep, "t.yaml", test::test_catalog()), test::test_catalog(), &warnings);
  ASSERT_EQ(jobs.size(), 3u);  // two baselines, momentum 0.5 under sgd
  EXPECT_EQ(jobs[2].variant, "task.optimizer.momentum=0.5, task.optimizer.name=sgd");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("t.yaml:4:"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("1 of 2 grid/zip cells of variant 'task.optimizer.momentum=0.5' of section 'o' train "
                             "exactly as their cell's baseline and are left out (first 'task.optimizer.name=adamw': "
                             "task.optimizer.momentum is sgd's, and this job trains with adamw)"),
            std::string::npos)
      << warnings[0];
  warnings.clear();
  const std::string excluded = sweep + "exclude:\n  - {task.optimizer.name: adamw, task.optimizer.momentum: 0.5}\n";
  EXPECT_EQ(expand_sweep(parse_sweep(excluded, "t.yaml", test::test_catalog()), test::test_catalog(), &warnings).size(),
            3u);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  // Inert in every cell: refused, at the variant's key.
  try {
    test::plan(
        "name: x\nablations:\n  o:\n    task.optimizer.momentum: [0.5]\ngrid:\n  task.optimizer.name: [adam, "
        "adamw]\n");
    ADD_FAILURE() << "planned";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.line(), 4);
    EXPECT_NE(std::string(e.what()).find("variant 'task.optimizer.momentum=0.5' of section 'o' trains exactly as the "
                                         "baseline in every grid/zip cell: task.optimizer.momentum is sgd's"),
              std::string::npos)
        << e.what();
  }
  // The identity cell's baseline excluded: its pool_size variant has nothing to be compared with.
  EXPECT_EQ(test::plan("name: x\nablations:\n  k:\n    model.pool_size: [5]\ngrid:\n  model.mixers: [pool, "
                       "identity]\nexclude:\n  - {model.mixers: identity, model.pool_size: 3}\n")
                .size(),
            3u);
}

// What a variant changes counts where the variant's model reads it: a key the baseline's model
// does not read but the variant's does (the mixer changes with it), a live key beside an inert
// one, an inert key the base sets for the variants that read it, and a grid of a key that only
// some of the variants read all plan.
TEST(SweepInertKeys, AVariantThatChangesWhatItsModelReadsPlans) {
  EXPECT_EQ(test::plan("name: x\nbase:\n  model: {mixers: identity}\nablations:\n  m:\n    - {model.mixers: pool, "
                       "model.pool_size: 5}\n")
                .size(),
            2u);
  EXPECT_EQ(test::plan("name: x\nbase:\n  model: {mixers: identity}\nablations:\n  m:\n    - {model.norm: "
                       "layernorm, model.pool_size: 5}\n")
                .size(),
            2u);
  EXPECT_EQ(test::plan("name: x\nbase:\n  model: {mixers: pool, heads: 4}\nablations:\n  m:\n    model.mixers: "
                       "[attention, [pool, pool, attention, attention]]\n")
                .size(),
            3u);
  EXPECT_EQ(test::plan("name: x\nbase:\n  model: {mixers: pool}\nablations:\n  k:\n    model.pool_size: [5, 7]\n  "
                       "m:\n    model.mixers: [identity]\n")
                .size(),
            4u);
  EXPECT_EQ(test::plan("name: x\nbase:\n  task: {optimizer: {name: sgd}}\nablations:\n  o:\n    "
                       "task.optimizer.momentum: [0.0, 0.5]\n    task.optimizer.nesterov: [true]\n")
                .size(),
            4u);
}

// Two variants whose configs differ only in keys neither trains with (pool_size without a pool
// stage) have two ids but train alike: the later is listed once, under the earlier, with a
// warning naming the keys, as a repeated id is; a section left with no job of its own is refused.
// A variant setting such a key beside a real change is warned about; the baseline's grid cells are
// never folded (each variant cell is compared with its own cell's baseline).
TEST(SweepInertKeys, VariantsThatTrainAlikeAreOneJob) {
  const std::string sweep =
      "name: x\nseeds: [0, 1]\nablations:\n  a:\n    - {model.mixers: identity, model.pool_size: 5}\n"
      "    - {model.mixers: attention}\n  b:\n    - {model.mixers: attention, model.pool_size: 5}\n"
      "    - {model.mixers: dwconv}\n";
  std::vector<std::string> warnings;
  const std::vector<Job> jobs =
      expand_sweep(parse_sweep(sweep, "t.yaml", test::test_catalog()), test::test_catalog(), &warnings);
  ASSERT_EQ(jobs.size(), 8u);  // baseline, identity, attention, dwconv; two seeds each
  for (const Job& job : jobs) EXPECT_NE(job.variant, "model.mixers=attention, model.pool_size=5");
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0],
            "t.yaml:5:49: warning: variant 'model.mixers=identity, model.pool_size=5' of section 'a' sets a key its "
            "training never reads: model.pool_size is the kernel of the pool and dwconv mixers, and no stage of this "
            "model has one (mixers: identity, identity, identity, identity)");
  EXPECT_EQ(warnings[2],
            "t.yaml:8:7: warning: variant 'model.mixers=attention, model.pool_size=5' of section 'b' is the same job "
            "as 'model.mixers=attention' (section 'a') in training (they differ only in what neither job's training "
            "reads: model.pool_size); it is listed once, there");
  try {
    test::plan("name: x\nablations:\n  a:\n    - {model.mixers: identity, model.pool_size: 5}\n  b:\n"
               "    - {model.mixers: identity}\n");
    ADD_FAILURE() << "planned";
  } catch (const SpecError& e) {
    EXPECT_EQ(e.line(), 6);
    EXPECT_NE(std::string(e.what()).find("section 'b' has no jobs of its own"), std::string::npos) << e.what();
  }
  // The baseline's cells alike (pool_size without a pool stage) both run: each is a cell's reference.
  EXPECT_EQ(test::plan("name: x\nbase:\n  model: {mixers: attention}\nablations:\n  m:\n    model.mixers: [pool]\n"
                       "grid:\n  model.pool_size: [3, 5]\n")
                .size(),
            4u);
}

// Heads are read per stage, and only through the resolved heads: model.head_dim beside explicit
// heads, and the heads of a stage whose mixer has none, change nothing (a reviewer trained both
// bit-identical to their baseline); heads: auto with a head_dim is the same job as those heads.
TEST(SweepInertKeys, HeadsAreReadPerStageAndHeadDimOnlyThroughThem) {
  const std::string base =
      "name: x\nbase:\n  model: {depths: [1, 1], dims: [16, 16], mixers: [pool, attention], heads: [2, 2]}\n"
      "ablations:\n";
  try {
    test::plan(base + "  h:\n    - {model.head_dim: 4}\n");
    ADD_FAILURE() << "planned";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("trains exactly as the baseline: model.head_dim only chooses the heads of "
                                         "model.heads: auto, and this job's heads are [2,2]"),
              std::string::npos)
        << e.what();
  }
  try {
    test::plan(base + "  h:\n    - {model.heads: [4, 2]}\n");
    ADD_FAILURE() << "planned";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("model.heads of stage 1 is read by nothing: their mixers have no heads"),
              std::string::npos)
        << e.what();
  }
  std::vector<std::string> warnings;
  const std::vector<Job> jobs = expand_sweep(
      parse_sweep(base + "  a:\n    - {model.heads: 4}\n  b:\n    - {model.heads: auto, model.head_dim: 4}\n"
                         "    - {model.heads: [1, 8]}\n",
                  "t.yaml", test::test_catalog()),
      test::test_catalog(), &warnings);
  ASSERT_EQ(jobs.size(), 3u);  // the baseline, 4 heads, 8 heads
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("variant 'model.heads=auto, model.head_dim=4' of section 'b' is the same job as "
                             "'model.heads=4' (section 'a') in training (they differ only in what neither job's "
                             "training reads: model.head_dim)"),
            std::string::npos)
      << warnings[0];
  // Where the heads are live they are an ablation.
  EXPECT_EQ(test::plan(base + "  h:\n    - {model.heads: [2, 4]}\n").size(), 2u);
}

// A grid (or zip, or shorthand) value that is a mapping is one value setting several keys: one
// cell, not one cell per key (the review found model.stem's three keys made three cells).
TEST(SweepGridKeys, AMappingValueIsOneCell) {
  const char* grid =
      "name: x\nbase:\n  task: {dataset: synthetic-images}\n  model: {depths: [1], dims: [8]}\ngrid:\n  model.stem: "
      "[{kernel: 7, stride: 4, padding: 2}, {kernel: 3, stride: 2, padding: 1}]\n";
  const std::vector<Job> jobs = test::plan(grid, "ok.yaml");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].variant, "baseline, model.stem.kernel=7, model.stem.stride=4, model.stem.padding=2");
  EXPECT_EQ(jobs[1].config["model"]["stem"], (nlohmann::json{{"kernel", 3}, {"stride", 2}, {"padding", 1}}));
  const char* zip =
      "name: x\nbase:\n  task: {dataset: synthetic-images}\n  model: {depths: [1], dims: [8]}\nzip:\n  - {model.stem: "
      "[{kernel: 7, stride: 4}, {kernel: 3, stride: 2}], model.norm: [layernorm, none]}\n";
  EXPECT_EQ(test::plan(zip, "ok.yaml").size(), 2u);
  const char* shorthand =
      "name: x\nbase:\n  task: {dataset: synthetic-images}\n  model: {depths: [1], dims: [8]}\nablations:\n  stem:\n "
      "   model.stem: [{kernel: 3, stride: 2, padding: 1}]\n";
  const std::vector<Job> one = test::plan(shorthand, "ok.yaml");
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[1].config["model"]["stem"]["stride"], 2);
}

// A grid over a group (task.optimizer) collides only with the keys its values set: a variant
// that sets the optimizer's name under a grid of learning rates is fine (the review's g1.yaml).
TEST(SweepGridKeys, AGroupGridLeavesTheKeysItDoesNotSet) {
  const char* yaml =
      "name: x\nablations:\n  optimizer:\n    - {task.optimizer.name: sgd}\ngrid:\n  task.optimizer: [{lr: "
      "1.0e-3}, {lr: 2.0e-3}]\n";
  EXPECT_EQ(test::plan(yaml, "ok.yaml").size(), 4u);
}

// A key's default does nothing anywhere: a base that sizes a generated dataset may still vary
// task.dataset, through variants (or zip values) that put the size back to its default.
TEST(SweepDatasetKeys, DefaultsResetAKeyForAnotherDataset) {
  const char* plain =
      "name: x\nbase:\n  task: {dataset: synthetic-images, train_size: 4096, test_size: 512}\nablations:\n  data:\n"
      "    - {task.dataset: fashion-mnist, task.train_size: 0, task.test_size: 0}\n";
  EXPECT_EQ(test::plan(plain, "ok.yaml").size(), 2u);
  const char* zipped =
      "name: x\nbase:\n  task: {test_size: 0}\nzip:\n  - {task.dataset: [synthetic-images, fashion-mnist], "
      "task.train_size: [512, 0]}\n";
  EXPECT_EQ(test::plan(zipped, "ok.yaml").size(), 2u);
}

TEST_P(BadSweep, ReportsFileLineAndMessage) {
  const BadCase& c = GetParam();
  try {
    const SweepSpec spec = parse_sweep(c.yaml, "bad.yaml", test::test_catalog());
    expand_sweep(spec, test::test_catalog());
    FAIL() << "no error for " << c.name;
  } catch (const SpecError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.file(), "bad.yaml");
    EXPECT_EQ(e.line(), c.line) << what;
    EXPECT_NE(what.find(c.needle), std::string::npos) << what;
    EXPECT_EQ(what.rfind("bad.yaml:" + std::to_string(c.line) + ":", 0), 0u) << what;
  }
}

// The description is free text: a folded or literal block (line breaks, tabs) is fine.
TEST(SweepText, DescriptionMayHoldLineBreaksAndTabs) {
  const SweepSpec spec =
      parse_sweep("name: x\ndescription: |\n  line one\n  \tline two\n", "ok.yaml", test::test_catalog());
  EXPECT_EQ(spec.description, "line one\n\tline two\n");
}

// Quotes that close, with the escapes that look like closing ones ('' and \"), and one that
// spans lines, are fine.
TEST(SweepText, ClosedQuotesWithTheirEscapesAreFine) {
  const SweepSpec spec = parse_sweep(
      "name: 'it''s'\ndescription: \"a \\\" b\n  c\"\nablations:\n  s:\n    - {label: "
      "\"x\", model.pool_size: 5}\n",
      "ok.yaml", test::test_catalog());
  EXPECT_EQ(spec.name, "it's");
  EXPECT_EQ(spec.description, "a \" b c");
}

INSTANTIATE_TEST_SUITE_P(AllRules, BadSweep, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ms
