// The op database on the torch executor: every ltorch op x dtype x sample traced, its
// meta checked against torch's real output, run at the ltorch level and at the prims
// level, and judged against torch eager on float64 copies by the tolerance rule; every
// error sample raises its message.
#include "thunder/core/error.h"
#include "thunder/opdb/opdb.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <gtest/gtest.h>

#include <set>

namespace thunder::opdb {
namespace {

std::string test_name(const ::testing::TestParamInfo<const OpInfo*>& info) {
  std::string name = info.param->name();
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

std::vector<const OpInfo*> all_ops() {
  std::vector<const OpInfo*> out;
  for (const OpInfo& op : op_database())
    out.push_back(&op);
  return out;
}

void collect_prims(const std::vector<BoundSymbol>& bsyms, std::set<std::string>& out) {
  for (const BoundSymbol& b : bsyms) {
    if (b.symbol->is_prim()) out.insert(b.symbol->name);
    collect_prims(b.subsymbols, out);
  }
}

class OpDatabase : public ::testing::TestWithParam<const OpInfo*> {};

TEST_P(OpDatabase, MatchesTorchAtBothLevels) {
  const OpInfo& op = *GetParam();
  const TorchExecutor executor;
  ASSERT_FALSE(op.dtypes.empty());
  for (const DType dtype : op.dtypes) {
    const std::vector<Sample> samples = generate_samples(op, dtype);
    EXPECT_GE(samples.size(), 3u) << op.name() << " has few samples for " << torch_name(dtype);
    for (const Sample& sample : samples) {
      SCOPED_TRACE(str(sample.describe(op.name()), " [", torch_name(dtype), "]"));
      TracedSample traced;
      try {
        traced = trace_sample(op, sample);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "tracing threw: " << e.what();
        continue;
      }
      const std::vector<at::Tensor> torch_results =
          flatten_tensors(op.reference(RefArgs(sample, /*float64=*/false)));
      const std::vector<at::Tensor> references =
          flatten_tensors(op.reference(RefArgs(sample, /*float64=*/true)));
      ASSERT_EQ(torch_results.size(), references.size());

      // The meta agrees with what torch really returns.
      std::vector<const Proxy*> outputs;
      traced.trace.output.for_each_proxy([&](const Proxy& p) { outputs.push_back(&p); });
      ASSERT_EQ(outputs.size(), torch_results.size()) << traced.trace.to_string();
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        const auto* t = dynamic_cast<const TensorProxy*>(outputs[i]);
        ASSERT_NE(t, nullptr);
        const at::Tensor& r = torch_results[i];
        EXPECT_EQ(t->type_string(), str("cpu ", short_name(from_scalar_type(r.scalar_type())),
                                        shape_to_string(Shape(r.sizes().begin(), r.sizes().end()))))
            << "meta of output " << i << "\n"
            << traced.trace.to_string();
      }

      for (const auto level : {TorchExecutionLevel::Symbols, TorchExecutionLevel::Prims}) {
        const char* level_name = level == TorchExecutionLevel::Symbols ? "ltorch" : "prims";
        std::vector<at::Tensor> results;
        try {
          results = executor.run(traced.trace, traced.inputs, level);
        } catch (const std::exception& e) {
          ADD_FAILURE() << level_name << " level threw: " << e.what() << "\n"
                        << traced.trace.to_string();
          continue;
        }
        ASSERT_EQ(results.size(), torch_results.size()) << level_name;
        for (std::size_t i = 0; i < results.size(); ++i) {
          // An integer sample can have a floating result (sigmoid, mean with dtype=): judge
          // it by the result's dtype.
          const DType result_dtype = from_scalar_type(torch_results[i].scalar_type());
          const Tolerance tolerance = is_floating(dtype) || !is_floating(result_dtype)
                                          ? op.tolerance(dtype)
                                          : default_tolerance(result_dtype);
          const Comparison c = compare(results[i], torch_results[i], references[i], tolerance);
          EXPECT_TRUE(c.pass) << level_name << " level, output " << i << ": " << c.rule
                              << " (max abs error " << c.max_abs << ")\n"
                              << traced.trace.to_string();
        }
      }
    }
  }
}

TEST_P(OpDatabase, ErrorSamplesRaiseTheirMessages) {
  const OpInfo& op = *GetParam();
  for (const ErrorSample& error : op.error_samples()) {
    SCOPED_TRACE(error.sample.describe(op.name()));
    try {
      trace_sample(op, error.sample);
      ADD_FAILURE() << "no error; expected one containing: " << error.message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(error.message), std::string::npos)
          << "message: " << e.what() << "\nexpected it to contain: " << error.message;
      EXPECT_EQ(std::string(e.what()).rfind(op.name() + ": ", 0), 0u)
          << "the message should start with the op's name: " << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, OpDatabase, ::testing::ValuesIn(all_ops()), test_name);

TEST(OpDatabaseCoverage, EveryLTorchSymbolHasAnEntry) {
  for (const Symbol* symbol : ltorch::all()) {
    EXPECT_NE(find_op(symbol->qualified_name()), nullptr)
        << symbol->qualified_name() << " has no op database entry";
  }
}

TEST(OpDatabaseCoverage, PrimsLevelRunsUseEveryPrim) {
  std::set<std::string> used;
  for (const OpInfo& op : op_database()) {
    for (const DType dtype : op.dtypes) {
      for (const Sample& sample : generate_samples(op, dtype)) {
        collect_prims(trace_sample(op, sample).trace.bound_symbols, used);
      }
    }
  }
  for (const Symbol* prim : prims::all()) {
    EXPECT_EQ(used.count(prim->name), 1u)
        << "no op database sample decomposes to prims." << prim->name;
  }
}

} // namespace
} // namespace thunder::opdb
