"""What identifies an encoder's weights: the fingerprint of every tensor, and the name, fingerprint and dimension that
the fitted models record (without how the encoder ran), so that predict refuses other weights."""

import hashlib


def encoder_fingerprint(encoder) -> str:
    """sha256 of the encoder's weights as loaded (every tensor's name and bytes): the same name can hold other
    weights. An encoder cast to another dtype by `load_encoder` keeps the fingerprint of its weights before."""
    import torch

    if getattr(encoder, "loaded_fingerprint", None):
        return encoder.loaded_fingerprint
    digest = hashlib.sha256()
    for name, tensor in sorted(encoder.state_dict().items()):
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def describe_encoder(name: str, encoder) -> dict:
    """Which embeddings the fitted models expect: the model's name, the fingerprint of its weights, the dimension."""
    return {"name": name, "fingerprint": encoder_fingerprint(encoder),
            "dimension": int(encoder.get_embedding_dimension())}


def model_identity(description: dict) -> dict:
    """encoder.json without how the encoder ran (`encoded_with`): what the reducer and the topics record."""
    return {key: description[key] for key in ("name", "fingerprint", "dimension")}
