"""Hugging Face GPT-2, Llama and BERT (small configs, random weights, nothing downloaded)
through torch.compile with the thunder_cpp backend: outputs match eager within the
whole-model tolerance of the float64 reference, and thunder takes every node (no split)."""
import copy

import pytest
import torch

import thunder_cpp
from helpers import assert_close_to_reference, backends

transformers = pytest.importorskip("transformers")

VOCAB, BATCH, SEQ = 128, 2, 16


def gpt2():
    return transformers.GPT2LMHeadModel(transformers.GPT2Config(
        n_layer=2, n_embd=64, n_head=4, vocab_size=VOCAB, n_positions=64, bos_token_id=0, eos_token_id=0,
        use_cache=False, attn_implementation="sdpa")), "logits", False


def llama():
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        vocab_size=VOCAB, max_position_embeddings=64, bos_token_id=0, eos_token_id=0, use_cache=False,
        attn_implementation="sdpa")), "logits", False


def bert():
    return transformers.BertModel(transformers.BertConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, vocab_size=VOCAB,
        max_position_embeddings=64, attn_implementation="sdpa"), add_pooling_layer=False), "last_hidden_state", True


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("make", [gpt2, llama, bert], ids=["gpt2", "llama", "bert"])
def test_model_matches_eager_without_split(make, backend):
    torch.manual_seed(0)
    model, output, with_mask = make()
    model.eval()
    input_ids = torch.randint(0, VOCAB, (BATCH, SEQ))
    kwargs = {"input_ids": input_ids}
    if with_mask:
        mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
        mask[1, SEQ // 2:] = 0
        kwargs["attention_mask"] = mask
    compiler = thunder_cpp.ThunderCompiler(backend=backend)
    compiled = torch.compile(model, backend=compiler, dynamic=False)
    with torch.no_grad():
        expected = getattr(model(**kwargs), output)
        reference = getattr(copy.deepcopy(model).double()(**kwargs), output)
        result = getattr(compiled(**kwargs), output)
        again = getattr(compiled(**kwargs), output)

    assert_close_to_reference(result, expected, reference)
    assert torch.equal(again, result)
    report = compiler.explain()
    assert compiler.graphs, report
    for graph in compiler.graphs:
        assert not graph.split, report
        assert [r.executor.split(" ")[0] for r in graph.regions] == ["thunder"], report
    assert "no split" in report
    region = compiler.graphs[0].regions[0]
    stats = region.stats()
    assert stats["calls"] == 2 and stats["cache_hits"] == 2 and stats["cache_misses"] == 0, stats
    assert stats["fallbacks"] == [], stats
    # Kernel backends measure their device memory; the torch backend does not.
    assert (stats["peak_device_bytes"] > 0) == (backend != "torch"), stats
    if backend != "cuda":
        assert stats["cuda_graph"] == "", stats  # only the cuda backend captures graphs
    if backend == "spirv":
        # The second call's buffers came from the arena planned from the first's.
        assert 0 < stats["planned_bytes"] <= stats["peak_device_bytes"], stats
        # The linears' products ran on the hand-written f32 matmul kernel.
        assert stats["kernels"].get("matmul_f32", 0) > 0, stats
    else:
        assert stats["kernels"] == {}, stats  # hand-written kernels are spirv's
    traces = region.last_traces()
    assert traces[0].startswith("# Constructed by Interpreting graph0 region 0"), traces[0][:200]
    # What runs: ltorch calls on torch; fusion regions the spirv executor claimed on spirv.
    assert ("spirv" if backend == "spirv" else "ltorch.") in traces[-1], traces[-1][:2000]
    assert region.executor.startswith(f"thunder ({backend}")


def test_gpt2_training_step_matches_eager():
    """With gradients, AOTAutograd's forward and backward graphs go through thunder: the
    operators it has symbols for run there, the rest (post-dispatch ATen such as
    native_layer_norm and its backward) in eager, and the gradients are eager's."""
    torch.manual_seed(0)
    model, output, _ = gpt2()
    model.eval()  # no dropout, so both runs compute the same function
    reference = copy.deepcopy(model)
    input_ids = torch.randint(0, VOCAB, (BATCH, SEQ))
    compiler = thunder_cpp.ThunderCompiler(backend="torch")
    result = getattr(torch.compile(model, backend=compiler, dynamic=False)(input_ids=input_ids), output)
    result.pow(2).mean().backward()
    expected = getattr(reference(input_ids=input_ids), output)
    expected.pow(2).mean().backward()
    torch.testing.assert_close(result, expected, rtol=1e-4, atol=1e-4)
    for (name, got), want in zip(model.named_parameters(), reference.parameters()):
        torch.testing.assert_close(got.grad, want.grad, rtol=1e-4, atol=1e-5, msg=name)
    whats = [g.what for g in compiler.graphs]
    assert whats == ["dynamo graph", "forward of graph 0", "backward of graph 0"], compiler.explain()
    for graph in compiler.graphs[1:]:
        assert graph.thunder_regions() and all(r.stats()["calls"] == 1 for r in graph.thunder_regions())
