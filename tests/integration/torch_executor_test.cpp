#include "thunder/executors/torch_executor.h"
#include "thunder/ops/registry.h"

#include <gtest/gtest.h>

TEST(TorchExecutor, ImplementsEverySymbol) {
  for (const thunder::Symbol* s : thunder::ops::all_symbols()) {
    EXPECT_TRUE(thunder::TorchExecutor::implements(*s)) << s->qualified_name();
  }
}
