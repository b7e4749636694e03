"""Test photos (scikit-image's bundled public-domain data, nothing downloaded) and a
small ReasonSeg-format split with hand-placed polygons."""

import json
from pathlib import Path

import cv2
import numpy as np
import skimage.data


def _rgb_to_bgr(rgb):
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _write(path, image, jpeg_quality=90):
    """Fixed encoder settings keep the files byte-identical between runs."""
    path = Path(path)
    if path.suffix == ".png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, 9]
    else:
        params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1]
    if not cv2.imwrite(str(path), image, params):
        raise RuntimeError(f"cannot write {path}")


# name -> (function making a BGR or grayscale uint8 image, JPEG quality)
def _chat_images():
    astronaut = _rgb_to_bgr(skimage.data.astronaut())
    coffee = _rgb_to_bgr(skimage.data.coffee())
    chelsea = _rgb_to_bgr(skimage.data.chelsea())
    rocket = _rgb_to_bgr(skimage.data.rocket())
    motorcycle = _rgb_to_bgr(skimage.data.stereo_motorcycle()[0])
    return {
        # wide 2:1, JPEG
        "astronaut_wide.jpg": (astronaut[96:352, :], 90),
        # the original 400x600 photo, JPEG
        "coffee.jpg": (coffee, 90),
        # smaller than CLIP's 224 on both sides, PNG
        "chelsea_small.png": (cv2.resize(chelsea, (180, 120), interpolation=cv2.INTER_AREA), 90),
        # grayscale origin (one-channel JPEG; OpenCV reads it back as 3 channels), tall
        "camera_gray_tall.jpg": (skimage.data.camera()[:, 128:384], 92),
        # tall, JPEG
        "rocket_tall.jpg": (rocket[:, 200:440], 90),
        # larger than 1024 on both sides (SAM downscales), JPEG
        "motorcycle_large.jpg": (cv2.resize(motorcycle, (1482, 1100), interpolation=cv2.INTER_CUBIC), 75),
        # grayscale PNG, extreme aspect ratio; its long side is exactly 1024, so SAM's
        # resize keeps it unchanged and the file itself is the exact SAM input
        "coins_strip.png": (cv2.resize(skimage.data.coins()[100:160, :], (1024, 160),
                                       interpolation=cv2.INTER_CUBIC), 90),
        # odd sizes on both axes, JPEG
        "ihc_odd.jpg": (_rgb_to_bgr(skimage.data.immunohistochemistry())[7:340, 11:488], 88),
    }


def make_chat_images(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for name, (image, quality) in _chat_images().items():
        _write(out_dir / name, image, quality)
        names.append(name)
    return names


def _reasonseg_samples():
    """(stem, BGR image, annotation) with polygons placed by eye on the photos.
    Coordinates are floats (as labelme writes them) so that the int32 truncation of
    get_mask_from_json matters; one point lies outside the image."""
    astronaut = _rgb_to_bgr(skimage.data.astronaut())
    chelsea = _rgb_to_bgr(skimage.data.chelsea())
    coffee = _rgb_to_bgr(skimage.data.coffee())
    rocket = _rgb_to_bgr(skimage.data.rocket())
    motorcycle = _rgb_to_bgr(skimage.data.stereo_motorcycle()[0])[40:460, 60:700]
    camera = skimage.data.camera()

    def shape(label, points):
        return {"label": label, "points": points, "group_id": None, "shape_type": "polygon", "flags": {}}

    return [
        ("astronaut", astronaut, {
            "text": ["the person who has been to space in this photo"],
            "is_sentence": True,
            "shapes": [
                shape("target", [[160.4, 60.2], [330.9, 48.7], [372.5, 190.1], [450.2, 511.0],
                                 [120.8, 511.0], [150.3, 250.6]]),
                shape("ignore_flag_region", [[0.0, 0.0], [140.5, 0.0], [140.5, 180.9], [0.0, 180.9]]),
            ],
        }),
        ("chelsea", chelsea, {
            "text": ["the cat", "a tabby cat"],
            "is_sentence": False,
            "shapes": [
                shape("target", [[95.7, 40.1], [330.2, 30.8], [380.9, 299.0], [60.3, 299.0]]),
                shape("flag", [[0.0, 0.0], [50.0, 0.0], [50.0, 50.0]]),
            ],
        }),
        ("coffee", coffee, {
            "text": ["Something people drink at a café in the morning to wake up."],
            "is_sentence": True,
            "shapes": [
                shape("target", [[120.5, 40.5], [480.9, 30.2], [560.1, 250.7], [400.4, 380.3],
                                 [150.6, 360.9], [80.2, 200.4]]),
                shape("Ignore", [[500.0, 0.0], [599.0, 0.0], [599.0, 60.0], [500.0, 60.0]]),
            ],
        }, "cp1252"),
        ("rocket", rocket, {
            "text": ["the rocket"],
            "is_sentence": False,
            "shapes": [
                shape("target", [[300.3, 20.9], [345.7, 20.1], [360.2, 330.5], [290.8, 331.4]]),
                shape("target", [[250.5, 330.2], [400.1, 330.2], [420.7, 426.9], [230.2, 426.9]]),
                shape("ignore smoke", [[200.0, 360.0], [470.0, 360.0], [470.0, 427.0], [200.0, 427.0]]),
            ],
        }),
        ("motorcycle", motorcycle, {
            "text": ["What vehicle could a person ride on these roads? Point to it."],
            "is_sentence": True,
            "shapes": [
                shape("ignore", [[40.0, 60.0], [620.0, 60.0], [620.0, 410.0], [40.0, 410.0]]),
                shape("target", [[80.6, 90.1], [560.3, 80.8], [600.9, 380.2], [-3.7, 390.6]]),
                shape("target", [[250.1, 150.2], [350.8, 150.9], [352.3, 260.4], [248.9, 262.2]]),
            ],
        }),
        ("cameraman", cv2.cvtColor(camera, cv2.COLOR_GRAY2BGR), {
            "text": ["the camera on the tripod"],
            "is_sentence": False,
            "shapes": [
                shape("target", [[150.2, 95.8], [260.7, 80.3], [270.9, 200.6], [170.4, 215.1]]),
                shape("target", [[180.3, 215.0], [230.6, 215.0], [300.2, 511.0], [120.9, 511.0]]),
            ],
        }),
        ("empty", chelsea[::2, ::2].copy(), {
            "text": ["a dog"],
            "is_sentence": False,
            "shapes": [shape("flag", [[10.0, 10.0], [40.0, 10.0], [40.0, 40.0]])],
        }),
    ]


def make_reasonseg_split(out_dir):
    """Writes <stem>.jpg + <stem>.json; returns the stems in sorted order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stems = []
    for sample in _reasonseg_samples():
        stem, image, annotation = sample[:3]
        encoding = sample[3] if len(sample) > 3 else "utf-8"
        _write(out_dir / f"{stem}.jpg", image, 90)
        text = json.dumps(annotation, ensure_ascii=False, indent=2) + "\n"
        (out_dir / f"{stem}.json").write_bytes(text.encode(encoding))
        stems.append(stem)
    return sorted(stems)
