"""Audio delivery (issue 14): the files listeners download, made from the master an editor uploaded.

``encode`` runs ffmpeg (two-pass EBU R128 loudness normalisation, constant-bitrate MP3, or a stream copy of
a master that is podcast-ready already) in any of the ``formats`` (the MP3, and AAC or Opus where a show
asks for them); ``preparing`` queues, runs and recovers renditions (``AudioRendition``, in
``episodes.models.renditions``) on the task queue ``delivery``.
"""
