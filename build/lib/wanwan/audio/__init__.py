"""Audio in and out: files of any format and rate, raw PCM, devices, voice activity."""
