"""Draw the lesson figures into ``img/figures/`` with matplotlib.

Run from anywhere: ``python scripts/make_figures.py`` (after ``scripts/make_images.py``, whose
photos it uses as thumbnails; grey placeholders are drawn if they are missing).

* ``unrolling.png``     unrolling an activation volume, and why a bare reshape is wrong
* ``gram_matrix.png``   G = A Aᵀ and what its entries mean
* ``content_cost.png``  the content cost at one layer
* ``style_cost.png``    the style cost over several layers
* ``nst_overview.png``  the whole algorithm
* ``expected_05_result.jpg``  notebook 05's expected result: the assignment's recipe run by ``nst.stylize``
  (200 Adam iterations at 400x300 from the notebook's start, seed 1; about 3 minutes on 2 cores)

The unrolling and Gram numbers are computed with numpy, so the figures are correct by construction.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle  # noqa: E402

IMG = Path(__file__).resolve().parent.parent / "img"
OUT = IMG / "figures"
DPI = 110
#: fill colour of each channel (red, green, blue tints) and a darker edge/text colour
CH_FILL = ["#f6b3ad", "#b5e3b0", "#b1c8f2"]
CH_DARK = ["#b0261a", "#2a7a22", "#2446a0"]
INK, GREY, ACCENT = "#222222", "#8a8a8a", "#d9822b"


def unroll_layouts(n_H=2, n_W=3, n_C=3):
    """An activation volume labelled as notebook 01's, ``a[h, w, c] = 100·c + (h·n_W + w)`` (hundreds digit: the
    channel; the rest: the position), and its two unrollings to ``(n_C, n_H*n_W)``.

    Returns a dict of arrays: ``volume`` (n_H, n_W, n_C); ``correct`` = ``volume.reshape(n_H*n_W,
    n_C).T`` (row c is channel c); ``scrambled`` = bare ``volume.reshape(n_C, n_H*n_W)``; and
    ``correct_channels`` / ``scrambled_channels``, the channel each of their cells comes from.
    """
    h, w, channel = np.meshgrid(np.arange(n_H), np.arange(n_W), np.arange(n_C), indexing="ij")
    volume = 100 * channel + h * n_W + w
    return {
        "volume": volume,
        "correct": volume.reshape(n_H * n_W, n_C).T,
        "scrambled": volume.reshape(n_C, n_H * n_W),
        "correct_channels": channel.reshape(n_H * n_W, n_C).T,
        "scrambled_channels": channel.reshape(n_C, n_H * n_W),
    }


# ---------------------------------------------------------------- drawing helpers

def canvas(w, h, title):
    """A figure whose axes use data units of 1 = 1 inch: (0, 0) bottom-left, (w, h) top-right."""
    fig = plt.figure(figsize=(w, h))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, w)
    ax.set_ylim(0, h)
    ax.axis("off")
    ax.text(w / 2, h - 0.35, title, ha="center", va="center", fontsize=17, weight="bold", color=INK)
    return fig, ax


def box(ax, x, y, w, h, text="", fc="#eeeeee", ec=INK, fs=12, lw=1.5, **kw):
    """Rounded box with lower-left corner (x, y) and centred text."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.12", fc=fc, ec=ec, lw=lw))
    if text:
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fs, color=INK, **kw)


def arrow(ax, p0, p1, color=INK, lw=1.8, text=None, fs=10, rad=0.0, tpos=0.5, toff=(0, 0.15), rot=0):
    """Arrow from p0 to p1, optionally labelled near its ``tpos`` fraction (``rot`` degrees)."""
    ax.annotate("", xy=p1, xytext=p0, arrowprops=dict(arrowstyle="-|>,head_width=0.35,head_length=0.6",
                                                      lw=lw, color=color, shrinkA=2, shrinkB=2,
                                                      connectionstyle=f"arc3,rad={rad}"))
    if text:
        tx, ty = p0[0] + tpos * (p1[0] - p0[0]) + toff[0], p0[1] + tpos * (p1[1] - p0[1]) + toff[1]
        ax.text(tx, ty, text, ha="center", va="bottom", fontsize=fs, color=color, rotation=rot,
                rotation_mode="anchor")


def grid(ax, x, y, values, channels=None, cell=0.5, fs=12, fills=None, lw=1.0):
    """Draw a matrix of numbers with its top-left corner at (x, y); cells tinted by channel."""
    values = np.asarray(values)
    for (i, j), v in np.ndenumerate(values):
        fc = fills[i][j] if fills is not None else (CH_FILL[channels[i, j]] if channels is not None else "white")
        tc = CH_DARK[channels[i, j]] if channels is not None else INK
        ax.add_patch(Rectangle((x + j * cell, y - (i + 1) * cell), cell, cell, fc=fc, ec=INK, lw=lw))
        ax.text(x + (j + 0.5) * cell, y - (i + 0.5) * cell, str(v), ha="center", va="center",
                fontsize=fs, color=tc, weight="bold")


def load(name):
    """An image from ``img/`` as a float array in 0..1, or a grey placeholder if it is missing."""
    path = IMG / name
    if path.exists():
        return plt.imread(path)[..., :3] / (255.0 if path.suffix == ".jpg" else 1.0)
    return np.full((300, 400, 3), 0.8)


#: the network's mean pixel (RGB, 0..255): the network input is the image minus it
MEAN_PIXEL = np.array([123.68, 116.779, 103.939])


def noisy(img, ratio=0.6, seed=0):
    """The generated image's start, as ``generate_noise_image`` makes it, in RGB 0..1.

    In network units (pixels minus the mean pixel) the start is ``ratio`` x uniform noise in [-20, 20]
    plus ``1 - ratio`` x the content: on screen, the photo faded to 40 % of its contrast towards the mean
    colour, under a light grain of at most ``ratio`` x 20 = 12 levels.
    """
    noise = np.random.default_rng(seed).uniform(-20, 20, img.shape)
    start = ratio * noise + (1 - ratio) * (255 * img - MEAN_PIXEL) + MEAN_PIXEL
    return np.clip(start / 255, 0, 1)


def thumb(ax, img, x, y, w, label, fs=12):
    """An image with its lower-left corner at (x, y), width w (4:3), framed, labelled underneath."""
    h = w * 3 / 4
    ax.imshow(img, extent=(x, x + w, y, y + h), zorder=2)
    ax.add_patch(Rectangle((x, y), w, h, fill=False, ec=INK, lw=1.2, zorder=3))
    ax.text(x + w / 2, y - 0.1, label, ha="center", va="top", fontsize=fs, color=INK)


def volume(ax, x, y, w, h, d, fc, label=None, fs=11):
    """A 3-D block (front face lower-left at (x, y), size w x h, depth d) for an activation volume."""
    s = 0.5 * d  # oblique projection of the depth axis
    front = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    top = [(x, y + h), (x + w, y + h), (x + w + s, y + h + s), (x + s, y + h + s)]
    side = [(x + w, y), (x + w + s, y + s), (x + w + s, y + h + s), (x + w, y + h)]
    for poly, shade in ((front, 1.0), (top, 0.85), (side, 0.7)):
        rgb = np.array(matplotlib.colors.to_rgb(fc)) * shade
        ax.add_patch(Polygon(poly, closed=True, fc=rgb, ec=INK, lw=1.0))
    if label:
        ax.text(x + (w + s) / 2, y - 0.12, label, ha="center", va="top", fontsize=fs)


def vgg(ax, x, y, w, h, upto=5, label="VGG-19 (pre-trained, frozen)", fs=11):
    """VGG drawn as ``upto`` shrinking conv blocks in a dashed frame, with conv block names."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.12", fc="#f7f7f7",
                                ec=GREY, lw=1.2, ls="--"))
    bw, lo, hi = w / (upto + 1), y + 0.38, y + h - 0.12  # blocks between lo and hi, names below
    for b in range(upto):
        bh = (hi - lo) * (1 - 0.13 * b)
        bx = x + bw * (0.5 + b)
        ax.add_patch(Rectangle((bx, (lo + hi - bh) / 2), bw * 0.7, bh, fc="#c9d6e8", ec=INK, lw=1.0))
        ax.text(bx + bw * 0.35, y + 0.2, f"conv{b + 1}", ha="center", va="center", fontsize=8.5)
    ax.text(x + w / 2, y + h + 0.08, label, ha="center", va="bottom", fontsize=fs, weight="bold")


def save(fig, name):
    """Save a figure into ``img/figures/`` and close it."""
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / name, dpi=DPI, facecolor="white")
    plt.close(fig)


# ---------------------------------------------------------------- the figures

def fig_unrolling():
    """Activation volume -> the unrolled matrix we want (how is Exercise 1), and what a bare reshape gives."""
    n_H, n_W, n_C = 2, 3, 3
    L = unroll_layouts(n_H, n_W, n_C)
    fig, ax = canvas(13, 8.2, "Unrolling an activation volume (n_H=2, n_W=3, n_C=3) into a matrix (n_C, n_H·n_W)")
    c = 0.62
    # the volume: one n_H x n_W slice per channel
    ax.text(6.5, 7.35, "activation volume  a  of shape (n_H, n_W, n_C) = (2, 3, 3), labelled as in the notebook:  "
            "a[h, w, c] = 100·c + (h·n_W + w)",
            ha="center", fontsize=12.5)
    for ch in range(n_C):
        x0 = 1.55 + ch * 3.6
        grid(ax, x0, 6.85, L["volume"][:, :, ch], np.full((n_H, n_W), ch), cell=c, fs=12)
        ax.text(x0 + 1.5 * c, 6.85 - 2 * c - 0.12, f"channel {ch}:  a[:, :, {ch}]", ha="center", va="top",
                fontsize=12, color=CH_DARK[ch], weight="bold")
        for i in range(n_H):
            ax.text(x0 - 0.12, 6.85 - (i + 0.5) * c, f"h={i}", ha="right", va="center", fontsize=9, color=GREY)
        for j in range(n_W):
            ax.text(x0 + (j + 0.5) * c, 6.9, f"w={j}", ha="center", va="bottom", fontsize=9, color=GREY)
    ax.text(6.5, 4.95, "hundreds digit = channel, last digit = position;  in memory the channels are interleaved:"
            "  0 100 200 | 1 101 201 | ...", ha="center", fontsize=10.5, color=GREY)

    # the two unrollings
    for k, (key, x0, title, code, verdict, col) in enumerate([
        ("correct", 0.95, "Right: one row per channel", "how to get it: Exercise 1",
         "✓ each row is one channel, over all n_H·n_W positions", CH_DARK[1]),
        ("scrambled", 7.15, "Wrong: a bare reshape", "a.reshape(n_C, n_H*n_W)",
         "✗ rows mix channels: 'row 0' is not channel 0", CH_DARK[0]),
    ]):
        mid = x0 + 0.9 + 3 * c  # centre of the matrix
        ax.text(mid, 4.35, title, ha="center", fontsize=14, weight="bold", color=col)
        ax.text(mid, 3.98, code, ha="center", fontsize=12, family="monospace")
        top = 3.5
        grid(ax, x0 + 0.9, top, L[key], L[f"{key}_channels"], cell=c, fs=12)
        for i in range(n_C):
            ax.text(x0 + 0.8, top - (i + 0.5) * c, f"row {i}", ha="right", va="center", fontsize=11)
        if key == "correct":
            hw = [f"{h},{w}" for h in range(n_H) for w in range(n_W)]
            for j, t in enumerate(hw):
                ax.text(x0 + 0.9 + (j + 0.5) * c, top + 0.05, t, ha="center", va="bottom", fontsize=8.5, color=GREY)
            ax.text(x0 + 0.8, top + 0.05, "(h, w):", ha="right", va="bottom", fontsize=8.5, color=GREY)
        ax.text(mid, top - 3 * c - 0.3, verdict, ha="center", va="top", fontsize=11.5, color=col)
    ax.text(6.5, 0.55, "cell colour = the channel the value came from  (" + ", ".join(
        f"channel {i}" for i in range(n_C)) + ")", ha="center", fontsize=10.5, color=GREY)
    for i in range(n_C):
        ax.add_patch(Rectangle((4.0 + i * 1.85, 0.2), 0.25, 0.2, fc=CH_FILL[i], ec=INK, lw=0.8))
        ax.text(4.32 + i * 1.85, 0.3, f"channel {i}", va="center", fontsize=10, color=CH_DARK[i])
    ax.plot([6.55, 6.55], [0.95, 4.6], color="#cccccc", lw=1.2)
    save(fig, "unrolling.png")


def fig_gram():
    """G = A Aᵀ on a small integer example; diagonal and one off-diagonal entry explained."""
    A = np.array([[2, 0, 1, 3, 0, 1], [0, 1, 0, 1, 2, 0], [1, 0, 2, 2, 0, 1]])
    G = A @ A.T
    n_C, n = A.shape
    fig, ax = canvas(15, 6.7, "The Gram matrix  G = A·Aᵀ  measures which filters fire together")
    c, cg, top = 0.52, 0.8, 5.1
    chans = np.repeat(np.arange(n_C)[:, None], n, 1)
    # A
    xa = 0.7
    ax.text(xa + n * c / 2, top + 0.45, "A  (n_C × n_H·n_W)", ha="center", fontsize=13, weight="bold")
    ax.text(xa + n * c / 2, top + 0.15, "row i = filter i, unrolled", ha="center", fontsize=10, color=GREY)
    grid(ax, xa, top, A, chans, cell=c, fs=13)
    for i in range(n_C):
        ax.text(xa - 0.1, top - (i + 0.5) * c, f"i={i}", ha="right", va="center", fontsize=10, color=CH_DARK[i])
    ax.text(xa + n * c + 0.35, top - 1.5 * c, "×", ha="center", va="center", fontsize=26)
    # A transpose
    xt = xa + n * c + 0.75
    ax.text(xt + n_C * c / 2, top + 0.45, "Aᵀ  (n_H·n_W × n_C)", ha="center", fontsize=13, weight="bold")
    ax.text(xt + n_C * c / 2, top + 0.15, "column j = filter j", ha="center", fontsize=10, color=GREY)
    grid(ax, xt, top, A.T, chans.T, cell=c, fs=13)
    ax.text(xt + n_C * c + 0.4, top - 1.5 * c, "=", ha="center", va="center", fontsize=26)
    # G, diagonal highlighted
    xg = xt + n_C * c + 0.95
    fills = [["#fde7c8" if i == j else "white" for j in range(n_C)] for i in range(n_C)]
    ax.text(xg + n_C * cg / 2, top + 0.45, "G  (n_C × n_C)", ha="center", fontsize=13, weight="bold")
    ax.text(xg + n_C * cg / 2, top + 0.15, "G_ij = row i · row j", ha="center", fontsize=10, color=GREY)
    grid(ax, xg, top, G, cell=cg, fs=15, fills=fills)
    for i in range(n_C):
        ax.add_patch(Rectangle((xg + i * cg, top - (i + 1) * cg), cg, cg, fill=False, ec=ACCENT, lw=3))
        ax.text(xg - 0.1, top - (i + 0.5) * cg, f"i={i}", ha="right", va="center", fontsize=10, color=CH_DARK[i])
        ax.text(xg + (i + 0.5) * cg, top - n_C * cg - 0.1, f"j={i}", ha="center", va="top", fontsize=10,
                color=CH_DARK[i])
    # the G_02 example traced: row 0 of A, column 2 of Aᵀ, cell G[0, 2]
    for x, y, w, h in ((xa, top - c, n * c, c), (xt + 2 * c, top - n * c, c, n * c), (xg + 2 * cg, top - cg, cg, cg)):
        ax.add_patch(Rectangle((x, y), w, h, fill=False, ec=INK, lw=2.6, ls="--"))
    # explanations, level with G_02 (top right) and G_22 (bottom right)
    xe, we = xg + n_C * cg + 0.6, 15 - 0.25 - (xg + n_C * cg + 0.6)
    for y, head, i, j, what, ec, fc in (
            (top - 0.5 * cg, "off-diagonal  G_ij = row i · row j", 0, 2,
             "large when filters i and j fire at the same places", INK, "#f2f2f2"),
            (top - 2.5 * cg, "diagonal  G_ii = row i · row i", 2, 2,
             "how active filter i is, over the whole image", ACCENT, "#fff4e6")):
        box(ax, xe, y - 0.65, we, 1.3, fc=fc, ec=ec)
        ax.text(xe + 0.15, y + 0.48, head, fontsize=12.5, weight="bold", va="top", color=ec)
        terms = " + ".join(f"{p}·{q}" for p, q in zip(A[i], A[j]))
        ax.text(xe + 0.15, y + 0.08, f"G_{i}{j} = {terms} = {G[i, j]}", fontsize=10.5, va="top", family="monospace")
        ax.text(xe + 0.15, y - 0.27, what, fontsize=11, va="top")
        arrow(ax, (xg + n_C * cg + 0.02, y), (xe - 0.03, y), color=ec)
    ax.text(7.5, 1.0, "G is symmetric (G_ij = G_ji), and the positions are summed over: G keeps the texture (style) "
            "and drops the layout (content).", ha="center", va="center", fontsize=11.5)
    ax.text(7.5, 0.45, "dashed: row 0 of A times column 2 of Aᵀ gives G_02", ha="center", va="center", fontsize=10.5,
            color=GREY)
    save(fig, "gram_matrix.png")


def fig_content_cost():
    """Content cost: C and G through the same network to layer l; mean squared difference."""
    C = load("content/astronaut.jpg")
    fig, ax = canvas(13, 6.6, "Content cost: compare C and G at one hidden layer")
    for y, img, lab, act in ((3.65, C, "content image C", "a^{(C)}"), (1.05, noisy(C), "generated image G", "a^{(G)}")):
        thumb(ax, img, 0.4, y, 2.0, lab)
        vgg(ax, 3.1, y - 0.05, 3.6, 1.6, upto=4, label="VGG-19, up to conv4_2", fs=10.5)
        arrow(ax, (2.45, y + 0.75), (3.05, y + 0.75))
        arrow(ax, (6.75, y + 0.75), (7.45, y + 0.75))
        volume(ax, 7.55, y + 0.2, 0.9, 0.9, 0.7, "#c9d6e8")
        ax.text(8.85, y + 0.65, f"${act}$", fontsize=17, va="center")
        ax.text(7.95, y + 0.05, "(n_H, n_W, n_C)", ha="center", va="top", fontsize=9.5, color=GREY)
        ax.text(7.95, y + 1.55, "activations at conv4_2", ha="center", va="bottom", fontsize=9.5)
        arrow(ax, (9.5, y + 0.75), (10.0, 3.15 if y > 2 else 2.55), rad=0.0)
    box(ax, 10.0, 2.05, 2.8, 1.6, "", fc="#fff4e6", ec=ACCENT, lw=2)
    ax.text(11.4, 3.25, r"$J_{content}(C,G)\ =$", ha="center", va="center", fontsize=15)
    ax.text(11.4, 2.55, r"$\frac{1}{4\,n_H n_W n_C}\sum(a^{(C)}-a^{(G)})^2$", ha="center", va="center", fontsize=15)
    ax.text(6.5, 0.3, "Same network, same layer l for both images. A middle layer (conv4_2) compares what is where, "
            "not exact pixels.", ha="center", va="center", fontsize=11, color=GREY)
    save(fig, "content_cost.png")


def fig_style_cost():
    """Style cost: Gram matrices of S and G at conv1_1 ... conv5_1, weighted sum of layer costs."""
    S = load("style/brush_strokes.jpg")
    C = load("content/astronaut.jpg")
    rng = np.random.default_rng(3)
    fig, ax = canvas(14, 7.6, "Style cost: compare Gram matrices of S and G at several layers")
    thumb(ax, S, 0.4, 4.6, 2.0, "style image S")
    thumb(ax, noisy(C), 0.4, 1.9, 2.0, "generated image G")
    vgg(ax, 3.2, 4.9, 10.4, 1.5, upto=5, label="", fs=11)
    ax.text(8.4, 6.5, "VGG-19 (pre-trained, frozen): S and G each pass through the same network",
            ha="center", va="bottom", fontsize=11, weight="bold")
    arrow(ax, (2.45, 5.35), (3.15, 5.6))
    arrow(ax, (2.45, 2.65), (3.15, 5.2), rad=0.15)
    bw = 10.4 / 6
    for b in range(5):
        x = 3.2 + bw * (0.5 + b) + bw * 0.35
        arrow(ax, (x, 4.95), (x, 4.35), text=f"conv{b + 1}_1", fs=10, tpos=0.5, toff=(0.55, -0.12))
        # two Gram matrices, heat maps of made-up sparse activations (more channels deeper down)
        n_C = 3 + b
        for k, (gx, lab) in enumerate(((x - 0.78, "S"), (x + 0.08, "G"))):
            a = rng.uniform(0, 1, (n_C, 30)) ** (3 if k else 4)
            g = a @ a.T
            ax.imshow(g, cmap="magma", extent=(gx, gx + 0.7, 3.4, 4.1), zorder=2)
            ax.add_patch(Rectangle((gx, 3.4), 0.7, 0.7, fill=False, ec=INK, lw=1, zorder=3))
            ax.text(gx + 0.35, 3.33, f"$G^{{({lab})}}$", ha="center", va="top", fontsize=11)
        box(ax, x - 0.75, 2.0, 1.5, 0.7, "$J^{[l]}_{style}$", fc="#eeeeee", fs=13)
        arrow(ax, (x, 2.95), (x, 2.72))
        arrow(ax, (x, 1.98), (6.35 + 0.65 * b, 1.22), color=GREY, lw=1.4, text="λ=0.2", fs=9, tpos=0.35,
              toff=(0.35, -0.05))
    box(ax, 5.4, 0.35, 5.0, 0.85, "", fc="#fff4e6", ec=ACCENT, lw=2)
    ax.text(7.9, 0.775, r"$J_{style}(S,G)=\sum_l \lambda^{[l]}\, J^{[l]}_{style}(S,G)$", ha="center", va="center",
            fontsize=14)
    ax.text(0.35, 1.0, "per layer:", fontsize=11, va="center")
    ax.text(0.35, 0.5, r"$J^{[l]}_{style}=\frac{1}{4\,n_C^2\,(n_H n_W)^2}\sum_{i,j}(G^{(S)}_{ij}-G^{(G)}_{ij})^2$",
            fontsize=12.5, va="center")
    ax.text(12.0, 0.8, "early layers: colours, fine\ntexture; deep layers: larger\nmotifs (heat maps: illustrative)",
            ha="center", va="center", fontsize=10, color=GREY, linespacing=1.4)
    save(fig, "style_cost.png")


def fig_overview():
    """The whole algorithm: C, S, G -> VGG -> J_content, J_style -> J -> one Adam step on G's pixels."""
    C, S = load("content/astronaut.jpg"), load("style/brush_strokes.jpg")
    fig, ax = canvas(14, 7.4, "Neural Style Transfer: optimise the pixels of G")
    thumb(ax, C, 0.4, 4.95, 1.8, "content C")
    thumb(ax, S, 0.4, 2.8, 1.8, "style S")
    thumb(ax, noisy(C), 0.4, 0.7, 1.8, "generated G, at first:\nC faded, light grain")
    vgg(ax, 3.0, 2.6, 3.4, 1.8, upto=5, label="VGG-19 (pre-trained, frozen)", fs=11)
    for y in (5.6, 3.45, 1.35):
        arrow(ax, (2.25, y), (2.95, 3.5), rad=0.0)
    box(ax, 7.7, 4.3, 3.0, 1.3, "", fc="#e3ecf7", ec=CH_DARK[2], lw=2)
    ax.text(9.2, 5.2, "$J_{content}(C,G)$", ha="center", va="center", fontsize=14)
    ax.text(9.2, 4.7, "layer conv4_2", ha="center", va="center", fontsize=11)
    box(ax, 7.7, 1.5, 3.0, 1.3, "", fc="#f7e3ea", ec="#a02050", lw=2)
    ax.text(9.2, 2.4, "$J_{style}(S,G)$", ha="center", va="center", fontsize=14)
    ax.text(9.2, 1.9, "conv1_1, conv2_1, … conv5_1", ha="center", va="center", fontsize=11)
    arrow(ax, (6.45, 3.8), (7.65, 4.85), text="$a^{(C)}, a^{(G)}$", fs=11, toff=(-0.09, 0.1), rot=41)
    arrow(ax, (6.45, 3.2), (7.65, 2.15), text="$G^{(S)}, G^{(G)}$ per layer", fs=10, tpos=0.4, toff=(0.1, 0.11),
          rot=-41)
    box(ax, 11.25, 2.55, 2.45, 2.0, "", fc="#fff4e6", ec=ACCENT, lw=2)
    ax.text(12.475, 4.05, "total cost", ha="center", va="center", fontsize=12, weight="bold")
    ax.text(12.475, 3.5, r"$J(G)=\alpha J_{content}$", ha="center", va="center", fontsize=13)
    ax.text(12.475, 3.0, r"$+\ \beta J_{style}$", ha="center", va="center", fontsize=13)
    ax.text(12.475, 2.7, "α = 10, β = 40", ha="center", va="center", fontsize=9.5, color=GREY)
    arrow(ax, (10.75, 4.95), (11.25, 4.2))
    arrow(ax, (10.75, 2.15), (11.25, 2.9))
    box(ax, 5.4, 0.2, 5.6, 0.95, "", fc="#e9f5e6", ec=CH_DARK[1], lw=2)
    ax.text(8.2, 0.85, "one Adam step on the pixels of G", ha="center", va="center", fontsize=12, weight="bold")
    ax.text(8.2, 0.45, r"each pixel moves a small step against $\partial J/\partial G$; the network's weights stay fixed",
            ha="center", va="center", fontsize=11)
    arrow(ax, (12.475, 2.5), (11.05, 0.7), rad=-0.3, color=CH_DARK[1])
    arrow(ax, (5.35, 0.65), (2.25, 0.9), color=CH_DARK[1], text="repeat for a few hundred iterations", fs=10,
          tpos=0.5, toff=(0, 0.12))
    save(fig, "nst_overview.png")


def fig_expected_05_result():
    """Notebook 05's expected output: the recipe's image after 200 iterations, as the notebook makes it."""
    import nst_utils as nst
    from PIL import Image

    image, _ = nst.stylize(nst.CONFIG.CONTENT_IMAGE, nst.CONFIG.STYLE_IMAGE, nst.Settings(seed=1))
    OUT.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(OUT / "expected_05_result.jpg", quality=90)


FIGURES = [fig_unrolling, fig_gram, fig_content_cost, fig_style_cost, fig_overview, fig_expected_05_result]


def main():
    """Draw every figure into ``img/figures/``."""
    for f in FIGURES:
        f()
    print(f"wrote {len(FIGURES)} figures into {OUT}")


if __name__ == "__main__":
    main()
