"""The S3 bucket the tests and the cluster (tests/cluster/launcher.py) make on moto's server: its name and the
bucket policy docs/operators.md gives (anyone may read images, nothing else). No Django import: the
launcher reads it before any settings exist."""

BUCKET = "podcast-media"
PUBLIC_IMAGES_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PublicImages",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{BUCKET}/images/*", f"arn:aws:s3:::{BUCKET}/original_images/*"],
        }
    ],
}
