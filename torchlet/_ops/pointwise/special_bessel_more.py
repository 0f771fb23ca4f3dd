"""torch.special's Bessel and Airy functions: bessel_j0, bessel_j1, bessel_y0, bessel_y1,
modified_bessel_i0, modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
scaled_modified_bessel_k0, scaled_modified_bessel_k1, spherical_bessel_j0 and airy_ai.

Each kernel is torch 2.13's ``*_forward`` template from aten/src/ATen/native/Math.h (Cephes'
rational and Chebyshev approximations), vectorised with masks, step by step in the input's
dtype, with the fused multiply-adds torch's build contracts its Horner and Chebyshev steps
into. Where the C++ code mixes in a ``double`` (k0's ``std::log(0.5 * x)``) the step is done
in float64, as C++ promotes it. Float math-library calls in float32 are the float64
function rounded once (``_libm``), as glibc's float functions nearly always return.

torch defines no derivative for any of them: the result never requires grad, whatever the
input. torch has no Half or BFloat16 kernel for them; integer and bool inputs are promoted
to the default float dtype.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.indexing._common import laid_out_as_torch
from torchlet._ops.pointwise._fused import _fma
from torchlet._ops.pointwise.operands import _check_tensor, _float_operand, _out
from torchlet._ops.pointwise.special_bessel import _I0_A, _I0_B, _I1_A, _I1_B, _chbevl
from torchlet._ops.pointwise.special_kernels import _libm
from torchlet._tensor import wrap

_TWO_OVER_PI = 0.636619772367581343075535053490057448
_SQRT_TWO_OVER_PI = 0.797884560802865355879892119868763737
_PI_OVER_4 = 0.785398163397448309615660845819875721
_THREE_PI_OVER_4 = 2.356194490192344928846982537459627163
_ONE_OVER_SQRT_PI = 5.64189583547756286948e-01


def _horner(z, coeffs):
    """``p = p * z + c`` from p = 0, highest power first, each step one fused multiply-add."""
    T = z.dtype.type
    p = np.zeros_like(z)
    for c in coeffs:
        p = _fma(p, z, T(c))
    return p


def _fms(a, b, c):
    """``a * b - c`` with the product fused into the subtraction."""
    return _fma(a, b, -c)


# ---------------------------------------------------------------------------------------
# J0, J1, Y0, Y1 (Cephes j0.c / j1.c)

_J0_PP = (7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
          5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
          9.99999999999999997821e-01)
_J0_PQ = (9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
          5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
          1.00000000000000000218e+00)
_J0_QP = (-1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
          -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
          -5.14105326766599330220e+01, -6.05014350600728481186e+00)
_J0_QQ = (6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
          7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
          2.42005740240291393179e+02)
_J0_RP = (-4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
          9.70862251047306323952e+15)
_J0_RQ = (4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
          1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
          3.18121955943204943306e+16, 1.71086294081043136091e+18)
_Y0_YP = (1.55924367855235737965e+04, -1.46639295903971606143e+07, 5.43526477051876500413e+09,
          -9.82136065717911466409e+11, 8.75906394395366999549e+13, -3.46628303384729719441e+15,
          4.42733268572569800351e+16, -1.84950800436986690637e+16)
_Y0_YQ = (1.04128353664259848412e+03, 6.26107330137134956842e+05, 2.68919633393814121987e+08,
          8.64002487103935000337e+10, 2.02979612750105546709e+13, 3.17157752842975028269e+15,
          2.50596256172653059228e+17)

_J1_PP = (7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
          5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
          1.00000000000000000254e+00)
_J1_PQ = (5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
          5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
          9.99999999999999997461e-01)
_J1_QP = (5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
          3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
          2.11688757100572135698e+02, 2.52070205858023719784e+01)
_J1_QQ = (7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
          9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
          3.36093607810698293419e+02)
_J1_RP = (-8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
          3.68295732863852883286e+15)
_J1_RQ = (6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
          2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
          8.95222336184627338078e+16, 5.32278620332680085395e+18)
_Y1_YP = (1.26320474790178026440e+09, -6.47355876379160291031e+11, 1.14509511541823727583e+14,
          -8.12770255501325109621e+15, 2.02439475713594898196e+17, -7.78877196265950026825e+17)
_Y1_YQ = (5.94301592346128195359e+02, 2.35564092943068577943e+05, 7.34811944459721705660e+07,
          1.87601316108706159478e+10, 3.88231277496238566008e+12, 6.20557727146953693363e+14,
          6.87141087355300489866e+16, 3.97270608116560655612e+18)


def _hankel(x, z, pp, pq, qp, qq, phase, second_kind):
    """The x > 5 form of J and Y: sqrt(2 / (pi x)) (P cos(x - phase) - 5/x Q sin(x - phase))
    for J, (P sin + 5/x Q cos) for Y, with P, Q rational functions of z = 25 / x^2."""
    T = x.dtype.type
    p = _horner(z, pp) / _horner(z, pq)
    q = T(5) / x * (_horner(z, qp) / _horner(z, qq))
    shifted = x - T(phase)
    cos, sin = _libm(np.cos, shifted), _libm(np.sin, shifted)
    if second_kind:
        inner = _fma(p, sin, q * cos)
    else:
        inner = _fms(p, cos, q * sin)
    return inner * T(_SQRT_TWO_OVER_PI) / np.sqrt(x)


def _j0(x):
    T = x.dtype.type
    x = np.abs(x)
    xx = x * x
    small = (xx - T(5.78318596294678452118e+00)) * (xx - T(3.04712623436620863991e+01)) * (
        _horner(xx, _J0_RP)) / _horner(xx, _J0_RQ)
    small = np.where(x < T(0.00001), T(1) - xx / T(4), small)
    large = _hankel(x, T(25) / xx, _J0_PP, _J0_PQ, _J0_QP, _J0_QQ, _PI_OVER_4, False)
    return np.where(x <= T(5), small, large)


def _j1_nonnegative(x):
    T = x.dtype.type
    xx = x * x
    small = _horner(xx, _J1_RP) / _horner(xx, _J1_RQ) * x * (
        xx - T(1.46819706421238932572e+01)) * (xx - T(4.92184563216946036703e+01))
    w = T(5) / x
    large = _hankel(x, w * w, _J1_PP, _J1_PQ, _J1_QP, _J1_QQ, _THREE_PI_OVER_4, False)
    return np.where(x <= T(5), small, large)


def _j1(x):
    out = _j1_nonnegative(np.where(x < 0, -x, x))  # -0 stays -0: J1(-0) is -0, as torch's
    return np.where(x < 0, -out, out)


def _y0(x):
    T = x.dtype.type
    xx = x * x
    log = _libm(np.log, x)
    small = _fma(T(_TWO_OVER_PI) * log, _j0(x), _horner(xx, _Y0_YP) / _horner(xx, _Y0_YQ))
    large = _hankel(x, T(25) / xx, _J0_PP, _J0_PQ, _J0_QP, _J0_QQ, _PI_OVER_4, True)
    out = np.where(x <= T(5), small, large)
    out = np.where(x < 0, T(np.nan), out)
    return np.where(x == 0, T(-np.inf), out)


def _y1(x):
    T = x.dtype.type
    xx = x * x
    log = _libm(np.log, x)
    bracket = _fms(_j1_nonnegative(x), log, T(1) / x)
    small = _fma(x, _horner(xx, _Y1_YP) / _horner(xx, _Y1_YQ), T(_TWO_OVER_PI) * bracket)
    w = T(5) / x
    large = _hankel(x, w * w, _J1_PP, _J1_PQ, _J1_QP, _J1_QQ, _THREE_PI_OVER_4, True)
    out = np.where(x <= T(5), small, large)
    out = np.where(x < 0, T(np.nan), out)
    return np.where(x == 0, T(-np.inf), out)


# ---------------------------------------------------------------------------------------
# I0, I1, K0, K1 and the scaled K (Cephes' Chebyshev series, as torch's own templates)

_K0_A = (1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
         1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
         1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
         -5.35327393233902768720e-01)
_K0_B = (
    5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
    -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
    6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
    -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
    1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
    -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
    2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
    -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
    2.44030308206595545468e+00,
)
_K1_A = (-7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
         -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
         -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
         -3.53155960776544875667e-01, 1.52530022733894777053e+00)
_K1_B = (
    -5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
    1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
    -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
    3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
    -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
    2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
    -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
    1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
    2.72062619048444266945e+00,
)


def _i0(x):
    T = x.dtype.type
    a = np.abs(x)
    e = _libm(np.exp, a)
    small = e * _chbevl(a / T(2) - T(2), _I0_A)
    large = e * _chbevl(T(32) / a - T(2), _I0_B) / np.sqrt(a)
    return np.where(a <= T(8), small, large)


def _i1(x):
    T = x.dtype.type
    a = np.abs(x)
    e = _libm(np.exp, a)
    small = _chbevl(a / T(2) - T(2), _I1_A) * a * e
    large = e * _chbevl(T(32) / a - T(2), _I1_B) / np.sqrt(a)
    out = np.where(a <= T(8), small, large)
    return np.where(x < 0, -out, out)


def _k_small_series(x, coeffs):
    """The Chebyshev series in x^2 - 2 that K0 and K1 use on (0, 2]."""
    T = x.dtype.type
    return _chbevl(_fms(x, x, T(2)), coeffs)


def _k_large(x, coeffs):
    """exp(x) K(x) for x > 2: the Chebyshev series in 8/x - 2, over sqrt(x)."""
    T = x.dtype.type
    return _chbevl(T(8) / x - T(2), coeffs) / np.sqrt(x)


def _k_domain(x, out):
    """K is +inf at 0 and NaN below."""
    T = x.dtype.type
    out = np.where(x < 0, T(np.nan), out)
    return np.where(x == 0, T(np.inf), out)


def _k0_small(x, half_log_in_double):
    """0.5 (a - p) - log(x / 2) I0(x); torch's k0 takes the log of the double 0.5 * x, so
    the whole expression is evaluated in float64 there."""
    T = x.dtype.type
    series = _k_small_series(x, _K0_A)
    if half_log_in_double:
        wide = x.astype(np.float64)
        log = np.log(0.5 * wide)
        return _fma(-log, _i0(x).astype(np.float64), series.astype(np.float64)).astype(T)
    return _fma(-_libm(np.log, T(0.5) * x), _i0(x), series)


def _k1_small(x):
    T = x.dtype.type
    series = _k_small_series(x, _K1_A)
    return _fma(_libm(np.log, T(0.5) * x), _i1(x), series / x)


def _k0(x):
    T = x.dtype.type
    large = _libm(np.exp, -x) * _chbevl(T(8) / x - T(2), _K0_B) / np.sqrt(x)
    return _k_domain(x, np.where(x <= T(2), _k0_small(x, True), large))


def _k1(x):
    T = x.dtype.type
    large = _libm(np.exp, -x) * _chbevl(T(8) / x - T(2), _K1_B) / np.sqrt(x)
    return _k_domain(x, np.where(x <= T(2), _k1_small(x), large))


def _k0e(x):
    T = x.dtype.type
    small = _k0_small(x, False) * _libm(np.exp, x)
    return _k_domain(x, np.where(x <= T(2), small, _k_large(x, _K0_B)))


def _k1e(x):
    T = x.dtype.type
    small = _k1_small(x) * _libm(np.exp, x)
    return _k_domain(x, np.where(x <= T(2), small, _k_large(x, _K1_B)))


# ---------------------------------------------------------------------------------------
# spherical j0 and Airy Ai

# the Taylor coefficients as torch writes them, T(+-1) / T(n!), divided in the dtype
_SPHERICAL_J0_SERIES = ((-1, 6), (1, 120), (-1, 5040), (1, 362880), (-1, 39916800),
                        (1, 6227020800))


def _spherical_j0(x):
    """sin(x) / x; a Taylor series in x^2 below |x| = 1/2; 0 at +-inf."""
    T = x.dtype.type
    xx = x * x
    coeffs = [T(sign) / T(factorial) for sign, factorial in _SPHERICAL_J0_SERIES]
    inner = np.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        inner = _fma(xx, inner, c)
    small = _fma(xx, inner, T(1))
    out = np.where(np.abs(x) < T(0.5), small, _libm(np.sin, x) / x)
    return np.where(np.isinf(x), T(0), out)


_AI_AN = (3.46538101525629032477e-01, 1.20075952739645805542e+01, 7.62796053615234516538e+01,
          1.68089224934630576269e+02, 1.59756391350164413639e+02, 7.05360906840444183113e+01,
          1.40264691163389668864e+01, 9.99999999999999995305e-01)
_AI_AD = (5.67594532638770212846e-01, 1.47562562584847203173e+01, 8.45138970141474626562e+01,
          1.77318088145400459522e+02, 1.64234692871529701831e+02, 7.14778400825575695274e+01,
          1.40959135607834029598e+01, 1.00000000000000000470e+00)
_AI_AFN = (-1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
           -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
           -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08)
_AI_AFD = (1.33560420706553243746e+01, 3.26825032795224613948e+01, 2.67367040941499554804e+01,
           9.18707402907259625840e+00, 1.47529146771666414581e+00, 1.15687173795188044134e-01,
           4.40291641615211203805e-03, 7.54720348287414296618e-05, 4.51850092970580378464e-07)
_AI_AGN = (1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e+00,
           9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
           5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
           8.11789239554389293311e-08, 3.41551784765923618484e-10)
_AI_AGD = (9.30892908077441974853e+00, 1.98352928718312140417e+01, 1.55646628932864612953e+01,
           5.47686069422975497931e+00, 9.54293611618961883998e-01, 8.64580826352392193095e-02,
           4.12656523824222607191e-03, 1.01259085116509135510e-04, 1.17166733214413521882e-06,
           4.91834570062930015649e-09)


def _airy_oscillating(x):
    """x < -2.09: pi^-1/2 (-x)^-1/4 (sin t (1 + z^2 f) - cos t z g), t = 2/3 (-x)^3/2 + pi/4."""
    T = x.dtype.type
    zeta = T(-2) * x * np.sqrt(-x) / T(3)
    z = T(1) / zeta
    zz = z * z
    f = zz * _horner(zz, _AI_AFN) / _horner(zz, _AI_AFD)
    g = z * _horner(zz, _AI_AGN) / _horner(zz, _AI_AGD)
    t = zeta + T(0.25) * T(np.pi)
    inner = _fms(_libm(np.sin, t), T(1) + f, _libm(np.cos, t) * g)
    return T(_ONE_OVER_SQRT_PI) / np.sqrt(np.sqrt(-x)) * inner


def _airy_decaying(x):
    """x >= 2.09: pi^-1/2 AN/AD (1/zeta) / (2 x^1/4 exp(zeta)), zeta = 2/3 x^3/2."""
    T = x.dtype.type
    zeta = T(2) * x * np.sqrt(x) / T(3)
    w = T(1) / zeta
    ratio = _horner(w, _AI_AN) / _horner(w, _AI_AD)
    return T(_ONE_OVER_SQRT_PI) * ratio / (T(2) * np.sqrt(np.sqrt(x)) * _libm(np.exp, zeta))


def _airy_series(x):
    """The Maclaurin series c1 f(x) - c2 g(x), summed until |term / f| <= eps."""
    T = x.dtype.type
    f, g = np.ones_like(x), x.copy()
    m, n = np.ones_like(x), x.copy()
    z = x * x * x
    k = T(1)
    running = np.ones(x.shape, bool)
    eps = np.finfo(T).eps
    while running.any():
        m2 = m * z
        k = k + T(1)
        m2 = m2 / k
        n2 = n * z
        k = k + T(1)
        n2 = n2 / k
        m2 = m2 / k
        f2 = f + m2
        k = k + T(1)
        n2 = n2 / k
        g2 = g + n2
        m, n = np.where(running, m2, m), np.where(running, n2, n)
        f, g = np.where(running, f2, f), np.where(running, g2, g)
        running = running & (np.abs(m / f) > eps)
    return _fms(T(0.355028053887817239260), f, T(0.258819403792806798405) * g)


def _airy_ai(x):
    T = x.dtype.type
    oscillating = x < T(-2.09)
    decaying = x >= T(2.09)
    out = np.empty_like(x)
    out[oscillating] = _airy_oscillating(x[oscillating])
    out[decaying] = _airy_decaying(x[decaying])
    rest = ~(oscillating | decaying)
    out[rest] = _airy_series(x[rest])
    out = np.where(x > T(103.892), T(0), out)
    return np.where(np.isinf(x), T(np.nan), out)


# ---------------------------------------------------------------------------------------
# the functions


def _no_grad_unary(kernel, name, input, out):  # noqa: A002
    """``kernel`` on a float tensor; the result never requires grad (torch has no formula)."""
    x = _float_operand(_check_tensor(name, input))
    data = x._data
    if data.dtype == np.float16:
        raise NotImplementedError(f"\"{name[len('special_'):]}_cpu\" not implemented for 'Half'")
    flat = data.reshape(-1)
    with np.errstate(all="ignore"):
        result = kernel(flat).reshape(data.shape)
    return _out(wrap(laid_out_as_torch(result, data)), out, name)


def bessel_j0(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_j0, "special_bessel_j0", input, out)


def bessel_j1(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_j1, "special_bessel_j1", input, out)


def bessel_y0(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_y0, "special_bessel_y0", input, out)


def bessel_y1(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_y1, "special_bessel_y1", input, out)


def modified_bessel_i0(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_i0, "special_modified_bessel_i0", input, out)


def modified_bessel_i1(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_i1, "special_modified_bessel_i1", input, out)


def modified_bessel_k0(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_k0, "special_modified_bessel_k0", input, out)


def modified_bessel_k1(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_k1, "special_modified_bessel_k1", input, out)


def scaled_modified_bessel_k0(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_k0e, "special_scaled_modified_bessel_k0", input, out)


def scaled_modified_bessel_k1(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_k1e, "special_scaled_modified_bessel_k1", input, out)


def spherical_bessel_j0(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_spherical_j0, "special_spherical_bessel_j0", input, out)


def airy_ai(input, *, out=None):  # noqa: A002
    return _no_grad_unary(_airy_ai, "special_airy_ai", input, out)
