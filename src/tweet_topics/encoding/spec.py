"""featurize's settings as one value (EncoderSpec), resolved once to what runs on this machine."""

from dataclasses import asdict, dataclass, replace

from tweet_topics.errors import UserError

# featurize.batch_size auto: the fastest measured, on 2 CPU cores (bench/bench_scale.py) and on an H200
# (bench/bench_gpu.py: 52,000 tweets/s at 1024 in float16, 36,000 at 512, 33,000 at 4096)
AUTO_BATCH_SIZE = {"cpu": 16, "cuda": 1024}
INT8 = "onnx-int8"


@dataclass(frozen=True)
class EncoderSpec:
    """How texts become vectors: featurize's model, device, backend, dtype and batch size. `resolved()` turns each
    `auto` into what runs here, once; that is what featurize records and what predict reproduces."""

    model: str
    device: str = "auto"
    backend: str = "torch"
    dtype: str = "auto"
    batch_size: int | str = "auto"

    @classmethod
    def from_params(cls, featurize) -> "EncoderSpec":
        """From params.FeaturizeParams."""
        return cls(featurize.model, featurize.device, featurize.backend, featurize.dtype, featurize.batch_size)

    def resolved(self) -> "EncoderSpec":
        if self.backend == INT8:
            if self.device not in ("auto", "cpu"):
                raise UserError(f"featurize.backend onnx-int8 runs on the CPU, and featurize.device is"
                                f" '{self.device}': set featurize.device to cpu or auto, or featurize.backend to torch")
            if self.dtype == "float16":
                raise UserError("featurize.backend onnx-int8 computes in int8 and float32, and featurize.dtype is"
                                " float16: set featurize.dtype to auto, or featurize.backend to torch")
            return replace(self, device="cpu", dtype="int8", batch_size=1)  # one text per run
        device = resolve_device(self.device)
        kind = device_kind(device)
        dtype = self.dtype if self.dtype != "auto" else "float16" if kind == "cuda" else "float32"
        batch_size = AUTO_BATCH_SIZE[kind] if self.batch_size == "auto" else int(self.batch_size)
        return replace(self, device=device, dtype=dtype, batch_size=batch_size)

    def record(self) -> dict:
        return asdict(self)



def device_kind(device: str) -> str:
    """cuda or cpu: which kind of device a torch device string names (what AUTO_BATCH_SIZE and a recipe key on)."""
    return "cuda" if device.startswith("cuda") else "cpu"


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
