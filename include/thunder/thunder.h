// The umbrella header of thunder-cpp: the core IR, the op library, the passes. Executors
// have headers of their own (thunder/executors/...), since they bring LibTorch or GPU
// runtimes with them.
#pragma once

#include "thunder/core/bound_symbol.h"
#include "thunder/core/device.h"
#include "thunder/core/dtype.h"
#include "thunder/core/error.h"
#include "thunder/core/proxy.h"
#include "thunder/core/symbol.h"
#include "thunder/core/trace.h"
#include "thunder/core/tracing.h"
#include "thunder/core/value.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"
#include "thunder/ops/registry.h"
#include "thunder/passes/common_subexpression_elimination.h"
#include "thunder/passes/dead_code_elimination.h"
