"""The openai-whisper engine is tested on checkpoints built here (no weights can be downloaded) and real
audio.

A tiny model with random weights cannot hear anything, and decoding its noise is slow and endless. So the
checkpoint built here is a real openai-whisper checkpoint (seeded random weights, saved as
``torch.save({"dims", "model_state_dict"})``) with its text decoder wired by hand to say one thing,
``<|0.00|> hello world<|1.00|>``, whatever it hears: each token's embedding points the decoder's MLP at the
next token. The encoder and the cross-attention stay random, so the word timings come from openai-whisper's
real alignment code. The tests check the engine's contracts (times, words, progress, silence, errors, the
prompt), not accuracy: ``tests/transcripts/test_engines.py`` does that with the faster-whisper model.
"""

import subprocess
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import torch
from whisper.model import ModelDimensions, Whisper
from whisper.tokenizer import get_tokenizer

from tests.audio import require
from transcripts.engines.openai_whisper import OpenAIWhisperEngine

SAID = "hello world"  # what the built checkpoint says for any speech


def build_checkpoint(path: Path, *, multilingual: bool = False) -> Path:
    """A small openai-whisper checkpoint whose decoder says ``SAID`` in one timed segment."""
    dims = ModelDimensions(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=64,
        n_audio_head=1,
        n_audio_layer=1,
        n_vocab=51865 if multilingual else 51864,  # 51864: the English-only (GPT-2) vocabulary
        n_text_ctx=448,
        n_text_state=64,
        n_text_head=1,
        n_text_layer=1,
    )
    torch.manual_seed(0)
    model = Whisper(dims)
    tokenizer = get_tokenizer(multilingual, num_languages=model.num_languages)
    hello, world = (tokenizer.encode(word)[0] for word in (" hello", " world"))
    start, end = tokenizer.timestamp_begin, tokenizer.timestamp_begin + 50  # <|0.00|>, <|1.00|>
    # Each token -> the one the decoder is to say after it (<|startoftranscript|> in English-only models
    # and <|transcribe|> in multilingual ones come just before the first sampled token).
    chain = {tokenizer.sot: start, tokenizer.transcribe: start, start: hello, hello: world, world: end}
    chain[end] = tokenizer.eot
    tokens = list(dict.fromkeys([*chain, *chain.values()]))
    dim = {token: index for index, token in enumerate(tokens)}  # one embedding dimension each
    with torch.no_grad():
        for parameter in model.parameters():  # Whisper leaves some of them uninitialised (torch.empty)
            parameter.normal_(0, 0.02)
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.fill_(1)
                module.bias.zero_()
        decoder = model.decoder
        decoder.positional_embedding.zero_()
        embedding = decoder.token_embedding.weight
        embedding[:, : len(tokens)] = 0
        for token, index in dim.items():
            embedding[token] = 0
            embedding[token, index] = 4.0
        for block in decoder.blocks:
            for attention in (block.attn, block.cross_attn):  # attention weights stay, their output goes
                attention.out.weight.zero_()
                attention.out.bias.zero_()
            fc1, fc2 = block.mlp[0], block.mlp[2]
            fc1.weight.zero_()
            fc1.bias.fill_(-10)
            fc2.weight.zero_()
            fc2.bias.zero_()
            for unit, (token, following) in enumerate(chain.items()):
                fc1.weight[unit, dim[token]] = 1.0
                fc1.bias[unit] = -2.0
                fc2.weight[dim[following], unit] = 5.0
    torch.save({"dims": asdict(dims), "model_state_dict": model.state_dict()}, path)
    return path


def make_engine(model, **options):
    # One torch thread: on a small shared machine two threads mostly wait for each other.
    return OpenAIWhisperEngine(model=str(model), beam_size=1, threads=1, **options)


@contextmanager
def forward_passes(model):
    """How many times the model's encoder and decoder run (torch forward hooks)."""
    counts = Counter()
    handles = [
        getattr(model, part).register_forward_hook(lambda *args, part=part: counts.update([part]))
        for part in ("encoder", "decoder")
    ]
    try:
        yield counts
    finally:
        for handle in handles:
            handle.remove()


def silence(path: Path, seconds: float) -> Path:
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"]
        + ["-t", str(seconds), str(path)],
        check=True,
    )
    return path
