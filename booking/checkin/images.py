"""QR images of a check-in token: PNG and SVG, error correction M (a phone screen at a door)."""

import io

import qrcode
import qrcode.image.svg
import qrcode.util


def _qr(text: str, box_size: int) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    # Base32 and our prefix are all in QR's alphanumeric set: a smaller, faster code.
    mode = qrcode.util.MODE_ALPHA_NUM if all(c in qrcode.util.ALPHA_NUM.decode() for c in text) else None
    qr.add_data(qrcode.util.QRData(text.encode(), mode=mode) if mode else text)
    qr.make(fit=True)
    return qr


def png(text: str, box_size: int = 8) -> bytes:
    buf = io.BytesIO()
    _qr(text, box_size).make_image().save(buf, format="PNG")
    return buf.getvalue()


def svg(text: str) -> bytes:
    buf = io.BytesIO()
    _qr(text, 10).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buf)
    return buf.getvalue()


def version(text: str) -> int:
    return _qr(text, 1).version
