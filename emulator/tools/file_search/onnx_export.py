"""A sentence-transformers model's encoder as ONNX (optionally int8-quantized), built once and cached.

ONNX Runtime runs MiniLM about twice as fast as PyTorch on a small CPU, and its
dynamic int8 quantization (of the matrix multiplications, per channel, which keeps
the embeddings within ~0.5% cosine of the float ones) faster still. PyTorch is
only needed to build the file; serving needs onnxruntime and tokenizers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

log = logging.getLogger(__name__)
_EXPORT_VERSION = "v2"  # bump when the export changes, so cached files are rebuilt


def cached_onnx_model(model_dir: Path, cache_dir: Path, quantize: bool) -> Path:
    """The ONNX file for `model_dir` (a sentence-transformers model directory), exported on first use."""
    target = cache_dir / f"{_fingerprint(model_dir)}-{_EXPORT_VERSION}-{'int8' if quantize else 'fp32'}.onnx"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    log.warning("exporting %s to ONNX (%s), once: %s", model_dir, "int8" if quantize else "fp32", target)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        fp32 = Path(work) / "model.onnx"
        _export(model_dir, fp32)
        built = fp32
        if quantize:
            built = Path(work) / "model-int8.onnx"
            _quantize(fp32, built)
        os.replace(built, target)  # atomic: a concurrent server sees the whole file or none
    return target


def _fingerprint(model_dir: Path) -> str:
    """Changes when the model's weights or configuration change."""
    digest = hashlib.sha256(str(model_dir.resolve()).encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file() and path.suffix in (".safetensors", ".bin", ".json", ".txt"):
            stat = path.stat()
            digest.update(f"{path.relative_to(model_dir)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def _export(model_dir: Path, target: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    # Plain ("eager") attention exports to simpler ONNX than PyTorch's fused kernel: ~20% faster in ORT.
    try:
        model = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    except (TypeError, ValueError):
        model = SentenceTransformer(str(model_dir), device="cpu")
    transformer = model[0]
    encoder = getattr(transformer, "auto_model", None) or transformer.model
    assert isinstance(encoder, torch.nn.Module)  # the Hugging Face model inside the first module
    encoder.eval()
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in model.tokenizer.model_input_names]
    sample = model.tokenizer(["a sentence to trace", "another"], return_tensors="pt", padding=True)

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs):
            return self.encoder(**dict(zip(names, inputs))).last_hidden_state

    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shapes that are indeed dynamic here
        torch.onnx.export(LastHiddenState(), tuple(sample[n] for n in names), str(target), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)


def _quantize(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer advises pre-processing on the root logger
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)
