"""Local language models (transformers on the CPU), shared by the generative-AI tests and the watermark."""
