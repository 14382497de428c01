"""Make the notebooks' content photos and style images in ``img/``.

Run from anywhere: ``python scripts/make_images.py``. Deterministic (fixed seeds).

* ``img/content/*.jpg``: scikit-image sample photos (CC0 / public domain), centre-cropped
  to 4:3 and resized to 400x300.
* ``img/style/*.jpg``: artwork-like textures drawn here with numpy + PIL (this project, CC0).

Styles are drawn at 2x and downsampled, which anti-aliases the strokes.
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage import data

IMG = Path(__file__).resolve().parent.parent / "img"
W, H = 400, 300  # output size (width, height)
SS = 2  # supersampling factor for drawing

#: skimage sample name -> (author / source, licence), as stated in scikit-image's docstrings.
CONTENT = {
    "astronaut": ("NASA (astronaut Eileen Collins), from the NASA Great Images database", "public domain"),
    "coffee": ("Rachel Michetti, courtesy of Pikolo Espresso Bar", "CC0"),
    "chelsea": ("Stefan van der Walt", "CC0"),
    "rocket": ("SpaceX (launch of DSCOVR on a Falcon 9), from SpaceX Photos", "public domain"),
}


def to_4x3(img, size=(W, H)):
    """Centre-crop an RGB array to 4:3 and resize it to ``size`` with a Lanczos filter."""
    h, w = img.shape[:2]
    cw, ch = min(w, h * 4 // 3), min(h, w * 3 // 4)
    top, left = (h - ch) // 2, (w - cw) // 2
    crop = Image.fromarray(img[top:top + ch, left:left + cw, :3])
    return crop.resize(size, Image.LANCZOS)


def hexrgb(*codes):
    """``'#rrggbb'`` strings -> float array (n, 3) in 0..255."""
    return np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in codes], float)


def noise(rng, shape, sigma):
    """Smooth random field: Gaussian-filtered white noise, normalised to mean 0, std 1."""
    f = ndimage.gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return (f - f.mean()) / f.std()


def fractal(rng, shape, sigmas, gain=0.5):
    """Sum of ``noise`` octaves (coarse to fine), each ``gain`` times the previous."""
    return sum(gain ** i * noise(rng, shape, s) for i, s in enumerate(sigmas))


def jitter(rng, colour, amount):
    """Colour with uniform per-channel jitter, as an RGB int tuple."""
    return tuple(int(v) for v in np.clip(colour + rng.uniform(-amount, amount, 3), 0, 255))


def finish(canvas, rng, grain=6.0):
    """Downsample a (2x) PIL canvas to W x H and add fine canvas grain."""
    img = np.asarray(canvas.resize((W, H), Image.LANCZOS), float)
    weave = np.sin(np.arange(W) * 2.1)[None, :] * np.sin(np.arange(H) * 2.1)[:, None]
    img += grain * (0.6 * rng.standard_normal((H, W, 1)) + 0.4 * weave[..., None])
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def trace(field, starts, steps, step):
    """Follow a unit vector field ``(vx, vy)`` from ``starts`` (n, 2): paths (n, steps, 2)."""
    vx, vy = field
    h, w = vx.shape
    pts = [starts.astype(float)]
    for _ in range(steps - 1):
        x, y = pts[-1][:, 0], pts[-1][:, 1]
        xi, yi = np.clip(x.astype(int), 0, w - 1), np.clip(y.astype(int), 0, h - 1)
        pts.append(pts[-1] + step * np.stack([vx[yi, xi], vy[yi, xi]], 1))
    return np.stack(pts, 1)


def brush_strokes(rng):
    """Van-Gogh-like swirling brush strokes along a curl-noise field, blue and yellow."""
    w, h = W * SS, H * SS
    yy, xx = np.mgrid[:h, :w].astype(float)
    psi = 60 * fractal(rng, (h, w), [90, 40, 18])
    suns = [(0.72 * w, 0.28 * h, 70), (0.22 * w, 0.22 * h, 45), (0.45 * w, 0.70 * h, 55)]
    glow = np.zeros((h, w))
    for cx, cy, r in suns:  # vortices: circular streamlines around each "star"
        d2 = (xx - cx) ** 2 + (yy - cy) ** 2
        psi += 4.0 * r * r * np.exp(-d2 / (2 * (2.2 * r) ** 2)) / r
        glow = np.maximum(glow, np.exp(-d2 / (2 * r * r)))
    gy, gx = np.gradient(psi)
    mag = np.hypot(gx, gy) + 1e-9
    field = (gy / mag, -gx / mag)  # curl of psi: divergence-free, so strokes swirl
    tone = noise(rng, (h, w), 50)

    blues = hexrgb("#0e1a4f", "#1d3a8a", "#2f5fb3", "#4f86c6", "#86b6dd", "#c4e0ea")
    yellows = hexrgb("#f6e27a", "#f2c531", "#e39b1b", "#fff6c8")
    canvas = Image.new("RGB", (w, h), tuple(int(v) for v in blues[1]))
    draw = ImageDraw.Draw(canvas)
    # three passes: broad dark underpainting, medium strokes, thin bright accents
    for n, (wmin, wmax), length, light in [(900, (14, 24), 22, 0), (2600, (7, 14), 16, 1), (2200, (3, 7), 11, 2)]:
        starts = rng.uniform([-20, -20], [w + 20, h + 20], (n, 2))
        paths = trace(field, starts, length, 4.0 * SS)
        for p, (x, y) in zip(paths, starts.astype(int)):
            xi, yi = np.clip(x, 0, w - 1), np.clip(y, 0, h - 1)
            g, t = glow[yi, xi], tone[yi, xi]
            if rng.random() < g * 1.1:  # near a star: yellows
                col = yellows[rng.integers(0, 4)]
            else:  # sky: blue shade picked by the tone field, brighter in later passes
                k = int(np.clip(1.3 * t + 1.2 + light * 0.9 + rng.normal(0, 0.8), 0, 5))
                col = blues[k]
            wdt = int(rng.uniform(wmin, wmax))
            pts = [tuple(q) for q in p]
            draw.line(pts, fill=jitter(rng, col * 0.6, 6), width=wdt + 3, joint="curve")
            draw.line(pts, fill=jitter(rng, col, 14), width=wdt, joint="curve")
    return finish(canvas, rng)


def mosaic(rng):
    """Stained-glass mosaic: Voronoi tiles in jewel colours with dark lead grout."""
    yy, xx = np.mgrid[:H, :W].astype(float)
    cx, cy = 0.5 * W, 0.45 * H
    # jittered-grid seeds around a rose window: rings of 6k seeds at radius 19k around the centre
    gy, gx = np.mgrid[6:H:22, 6:W:22].reshape(2, -1).astype(float)
    seeds = np.stack([gx, gy], 1) + rng.uniform(-9, 9, (gx.size, 2))
    seeds = seeds[np.hypot(seeds[:, 0] - cx, seeds[:, 1] - cy) > 92]
    rose = [(0, 0, 0)] + [(k, j, 19 * k) for k in range(1, 5) for j in range(6 * k)]
    rose_xy = np.array([[cx + r * np.cos(2 * np.pi * (j + 0.5 * (k % 2)) / (6 * k or 1)),
                         cy + r * np.sin(2 * np.pi * (j + 0.5 * (k % 2)) / (6 * k or 1))] for k, j, r in rose])
    seeds = np.vstack([rose_xy, seeds])
    warp = 3 * np.stack([noise(rng, (H, W), 10), noise(rng, (H, W), 10)], -1)  # wobbly lead lines
    d, idx = cKDTree(seeds).query((np.stack([xx, yy], -1) + warp).reshape(-1, 2), k=2)
    d, idx = d.reshape(H, W, 2), idx[..., 0].reshape(H, W)
    jewels = hexrgb("#b3122b", "#1f3fa8", "#12875b", "#e8a317", "#6b2a8c", "#d9571f", "#2a9fc9", "#f4e6b0")
    # neighbouring tiles share a hue family: palette index from a smooth field at each seed
    fam = noise(rng, (H, W), 30)
    sx, sy = np.clip(seeds.astype(int), 0, [W - 1, H - 1]).T
    k = np.clip(((fam[sy, sx] + 2.2) / 4.4 * 8 + rng.normal(0, 1.2, len(seeds))).astype(int), 0, 7)
    k[:len(rose)] = [(3, 0, 5, 1, 6)[ring] if j % 2 else (7, 3, 4, 2, 0)[ring] for ring, j, _ in rose]  # symmetric rose
    tile = jewels[k] * rng.uniform(0.75, 1.15, (len(seeds), 1)) + rng.normal(0, 12, (len(seeds), 3))
    tile[:len(rose)] = jewels[k[:len(rose)]]
    # glass: brighter in each tile's middle, with seeds and ripples; light from the centre
    centre = np.clip(1 - d[..., 0] / 18, 0, 1)[..., None]
    ripple = (0.6 * noise(rng, (H, W), 1.2) + noise(rng, (H, W), 3))[..., None]
    light = (1.2 - 0.55 * np.hypot(xx / W - 0.5, yy / H - 0.45))[..., None]
    img = tile[idx] * light * (0.8 + 0.35 * centre) * (1 + 0.07 * ripple)
    lead = np.clip((d[..., 1] - d[..., 0] - 1.2) / 1.5, 0, 1)[..., None]  # 0 on tile boundaries
    img = img * lead + hexrgb("#15120f")[0] * (1 - lead)
    return finish(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)), rng, 3)  # drawn at 1x: no resize


def colour_fields(rng):
    """Rothko-like glowing colour fields with feathered edges and layered, visible brushwork."""
    w, h = W * SS, H * SS
    yy, xx = np.mgrid[:h, :w].astype(float)
    base = np.empty((h, w, 3))
    base[:] = hexrgb("#5c0f1c")[0]
    # (top, bottom, colour) of each field; ragged, feathered edges from a noise-perturbed box
    for top, bot, c in [(0.07, 0.40, "#ff9a22"), (0.46, 0.56, "#e02a3a"), (0.62, 0.93, "#2147b0")]:
        inside = np.minimum.reduce([xx - 0.08 * w, 0.92 * w - xx, yy - top * h, bot * h - yy])
        m = 1 / (1 + np.exp(-(inside + 10 * noise(rng, (h, w), 8)) / 5))[..., None]
        base = base * (1 - m) + hexrgb(c)[0] * m
    canvas = Image.fromarray(base.astype(np.uint8))
    for layer in range(10):  # translucent layers of broad strokes in the local colour
        over = canvas.convert("RGBA")
        over.putalpha(0)  # transparent, but keeps the colours below so the blur makes no dark halos
        draw = ImageDraw.Draw(over)
        for i in range(500):
            x, y = rng.uniform(-60, w), rng.uniform(-10, h + 10)
            a = rng.normal(0, 0.12) + (rng.choice([-0.5, 0.5]) if rng.random() < 0.3 else 0)
            L = rng.uniform(60, 220)
            col = base[int(np.clip(y, 0, h - 1)), int(np.clip(x, 0, w - 1))] * rng.uniform(0.7, 1.3)
            draw.line([(x, y), (x + L * np.cos(a), y + L * np.sin(a))], fill=jitter(rng, col, 28) + (80,),
                      width=int(rng.uniform(10, 36)), joint="curve")
        over = over.filter(ImageFilter.GaussianBlur(1.2))  # soft, loaded-brush edges
        canvas = Image.alpha_composite(canvas.convert("RGBA"), over).convert("RGB")
    img = np.asarray(canvas, float)
    bristle = ndimage.gaussian_filter(rng.standard_normal((h, w)), (0.6, 8))  # dry-brush streaks
    img = img * (1 + 0.35 * bristle[..., None]) * (1 + 0.06 * fractal(rng, (h, w), [60, 15])[..., None])
    return finish(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)), rng, 8)


def ink_waves(rng):
    """Hokusai-like breaking waves in Prussian blue with curling crests and foam claws."""
    w, h = W * SS, H * SS
    paper = hexrgb("#efe0bd")[0] * (1 + 0.025 * fractal(rng, (h, w), [30, 6, 1.2], 0.8)[..., None])
    canvas = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    ink = [tuple(int(v) for v in c) for c in hexrgb("#0a2150", "#173f7c", "#2e62a0", "#6a9bc8", "#b4d0e4")]
    foam = (250, 246, 230)
    mx = np.linspace(-1, 1, 60)  # far mountain with concave flanks and a jagged snow cap
    my = 0.34 * h - 0.22 * h * (1 - np.abs(mx)) ** 2.2
    draw.polygon(list(zip(0.70 * w + 0.16 * w * mx, my)), fill=ink[1])
    cap = np.abs(mx) < 0.28
    snow = my[cap] + (0.05 * h) * (1 - np.abs(mx[cap]) / 0.28) * (0.6 + 0.4 * np.cos(mx[cap] * 60))
    capx = 0.70 * w + 0.16 * w * mx[cap]
    draw.polygon(list(zip(capx, my[cap])) + list(zip(capx[::-1], snow[::-1])), fill=foam)
    x = np.linspace(-60, w + 60, 700)
    rows = [(0.36, 18, 80, 0.1), (0.50, 36, 140, 0.55), (0.70, 70, 210, 0.2), (0.99, 130, 300, 0.3)]
    for r, (base, amp, spacing, c0) in enumerate(rows):  # back to front: (y, height, spacing, phase)
        base, amp, spacing = base * h, amp * SS, spacing * SS
        crests = np.arange(c0 * w - 3 * spacing, w + spacing, spacing)
        crests = crests + rng.normal(0, spacing * 0.15, crests.size)
        heights = amp * rng.uniform(0.6, 1.0, crests.size)
        u = (x[None] - crests[:, None]) / (spacing * 0.30)
        u = np.where(u < 0, u * 2.2, u)  # steep fronts on the left, long backs on the right
        y = base - (heights[:, None] * np.exp(-u ** 2)).max(0) + 3 * SS * np.sin(x / 23 + r)
        draw.polygon(list(zip(x, y)) + [(w + 60, h + 60), (-60, h + 60)], fill=ink[max(0, 3 - r)])
        for k, off in enumerate(np.arange(0, 80, 7 + 3 * r) * SS):  # stripes parallel to the crest
            draw.line(list(zip(x, y + off)), fill=foam if k == 0 else ink[(k + r) % 3 + 1 if r < 3 else k % 2],
                      width=int(SS * (3.5 if k == 0 else 1.5 + 0.4 * r)))
        for cx, A in zip(crests, heights):  # the breaking curl hanging over each crest's front
            R = 0.42 * A
            th = np.linspace(-np.pi / 2, -np.pi / 2 - 2.3 * np.pi, 90)
            rad = R * np.exp(-0.22 * (-np.pi / 2 - th))
            ox, oy = cx - 0.5 * R, base - A + R
            draw.ellipse([ox - R, oy - R, ox + R, oy + R], fill=ink[3])  # hollow under the lip
            for j, (f, col) in enumerate([(1.0, ink[0]), (0.9, foam), (0.72, ink[1]), (0.55, foam), (0.4, ink[2])]):
                draw.line(list(zip(ox + f * rad * np.cos(th), oy + f * rad * np.sin(th))), fill=col,
                          width=max(2, int(R * (0.32 if j == 0 else 0.1))), joint="curve")
            for t in th[4:55:3]:  # foam claws: tapering fingers bending off the outer rim
                rr = R * np.exp(-0.22 * (-np.pi / 2 - t)) * rng.uniform(0.95, 1.05)
                s = np.linspace(0, 1, 5)[:, None]
                n, tg = np.array([np.cos(t), np.sin(t)]), np.array([np.sin(t), -np.cos(t)])
                claw = np.array([ox, oy]) + rr * n + s * n * 0.45 * rr + s ** 2 * tg * 0.3 * rr
                for wd, col in ((0.16, ink[0]), (0.10, foam)):
                    for a, b, taper in zip(claw[:-1], claw[1:], (1.0, 0.8, 0.55, 0.3)):
                        draw.line([tuple(a), tuple(b)], fill=col, width=max(1, int(wd * R * taper)))
            for _ in range(int(A / 3)):  # spray
                px, py = cx + rng.normal(-0.3 * A, 0.4 * A), base - A + rng.normal(0, 0.3 * A)
                q = rng.uniform(1, 2.5) * SS
                draw.ellipse([px - q, py - q, px + q, py + q], fill=foam)
    return finish(canvas, rng, 5)


STYLES = {"brush_strokes": brush_strokes, "mosaic": mosaic, "colour_fields": colour_fields, "ink_waves": ink_waves}


def main():
    """Write every content photo and style image into ``img/``."""
    (IMG / "content").mkdir(parents=True, exist_ok=True)
    (IMG / "style").mkdir(parents=True, exist_ok=True)
    for name in CONTENT:
        to_4x3(getattr(data, name)()).save(IMG / "content" / f"{name}.jpg", quality=92)
    for seed, (name, fn) in enumerate(STYLES.items()):
        fn(np.random.default_rng(1000 + seed)).save(IMG / "style" / f"{name}.jpg", quality=92)
    print(f"wrote {len(CONTENT)} content photos and {len(STYLES)} style images into {IMG}")


if __name__ == "__main__":
    main()
