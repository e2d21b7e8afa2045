"""The refusal detector's labelled set of real replies, its build script and the statistical layer's weights.

Nothing here copies a third-party dataset: `labels.jsonl` holds our labels keyed by a stable id
(dataset + file + row, with the SHA-1 of the reply so a changed source is noticed), and `build.py`
joins them with the replies in `../shared/data` at test or benchmark time. The SmolLM2-135M replies
(`smollm2_replies.jsonl`) are our own generations and are committed. See docs/genai-tests.md.
"""
