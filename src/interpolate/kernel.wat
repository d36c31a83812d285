;; SIMD kernels of the in-between synthesis (src/interpolate/kernel.ts drives them); compiled into
;; src/interpolate/kernel-wasm.ts by scripts/interpolate-kernel.sh (wat2wasm, Debian package wabt).
;; All arrays live in this module's memory at byte offsets the caller hands in: RGB images as 3 bytes per
;; pixel (padded by at least 4 bytes: a pixel is read and written as 4 bytes), planes as f32, flows as
;; (dx, dy) f32 pairs, colour accumulators as (r, g, b, weight) f32 quadruples, which is one v128 per pixel.
;; The JS loops they replace (splat.ts, backwarp.ts) stay as the reference; the results agree up to float32
;; rounding (test/interpolate-kernels.test.ts).
(module
  (memory (export "memory") 1)

  ;; Zero len bytes at off (accumulators start at zero).
  (func (export "zero") (param $off i32) (param $len i32)
    (memory.fill (local.get $off) (i32.const 0) (local.get $len)))

  ;; splat.ts push(): every pixel of src (w x h) splatted to where flow·s takes it, with weight
  ;; tw · exp(depth · min(|flow - (gx, gy)|, cap) - alpha · err); the weight without tw goes to zs.
  ;; (Helpers are written inline: V8 does not inline wasm calls by default, and a call per corner costs.)
  (func (export "splatPush") (param $src i32) (param $flow i32) (param $err i32) (param $zs i32) (param $rgbw i32)
        (param $cov i32) (param $aerr i32) (param $w i32) (param $h i32) (param $s f32) (param $tw f32)
        (param $alpha f32) (param $depth f32) (param $cap f32) (param $gx f32) (param $gy f32)
    (local $x i32) (local $y i32) (local $i i32) (local $fx f32) (local $fy f32) (local $tx f32) (local $ty f32)
    (local $x0f f32) (local $y0f f32) (local $x0 i32) (local $y0 i32) (local $ax f32) (local $ay f32)
    (local $dx f32) (local $dy f32) (local $rel f32) (local $z0 f32) (local $z f32) (local $e f32) (local $col v128)
    (local $k i32) (local $xx i32) (local $yy i32) (local $bw f32) (local $cv f32) (local $o i32) (local $a i32)
    (local $n f32) (local $g f32)
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $h)))
      (local.set $x (i32.const 0))
      (block $cols (loop $col_
        (br_if $cols (i32.ge_s (local.get $x) (local.get $w)))
        (block $skip
          (local.set $fx (f32.load (i32.add (local.get $flow) (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $fy (f32.load offset=4 (i32.add (local.get $flow) (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $tx (f32.add (f32.convert_i32_s (local.get $x)) (f32.mul (local.get $s) (local.get $fx))))
          (local.set $ty (f32.add (f32.convert_i32_s (local.get $y)) (f32.mul (local.get $s) (local.get $fy))))
          (local.set $x0f (f32.floor (local.get $tx)))
          (local.set $y0f (f32.floor (local.get $ty)))
          (br_if $skip (i32.eqz (f32.ge (local.get $x0f) (f32.const -1))))
          (br_if $skip (i32.eqz (f32.ge (local.get $y0f) (f32.const -1))))
          (br_if $skip (f32.ge (local.get $x0f) (f32.convert_i32_s (local.get $w))))
          (br_if $skip (f32.ge (local.get $y0f) (f32.convert_i32_s (local.get $h))))
          (local.set $x0 (i32.trunc_f32_s (local.get $x0f)))
          (local.set $y0 (i32.trunc_f32_s (local.get $y0f)))
          (local.set $ax (f32.sub (local.get $tx) (local.get $x0f)))
          (local.set $ay (f32.sub (local.get $ty) (local.get $y0f)))
          (local.set $dx (f32.sub (local.get $fx) (local.get $gx)))
          (local.set $dy (f32.sub (local.get $fy) (local.get $gy)))
          (local.set $rel (f32.sqrt (f32.add (f32.mul (local.get $dx) (local.get $dx)) (f32.mul (local.get $dy) (local.get $dy)))))
          (local.set $e (f32.load (i32.add (local.get $err) (i32.shl (local.get $i) (i32.const 2)))))
          ;; z0 = e^x, x clamped to [-80, 80]: 2^n · e^g with g = x - n·ln2 (ln2 split in two for precision),
          ;; |g| <= ln2 / 2, and a degree-6 Taylor polynomial (truncation under 2e-7 relative: float32 rounding).
          (local.set $z0 (f32.max (f32.min (f32.sub (f32.mul (local.get $depth) (f32.min (local.get $rel) (local.get $cap)))
                                                    (f32.mul (local.get $alpha) (local.get $e))) (f32.const 80)) (f32.const -80)))
          (local.set $n (f32.nearest (f32.mul (local.get $z0) (f32.const 1.4426950408889634))))
          (local.set $g (f32.sub (f32.sub (local.get $z0) (f32.mul (local.get $n) (f32.const 0.693145751953125)))
                                 (f32.mul (local.get $n) (f32.const 1.428606765330187e-06))))
          (local.set $z0 (f32.mul
            (f32.add (f32.const 1) (f32.mul (local.get $g)
            (f32.add (f32.const 1) (f32.mul (local.get $g)
            (f32.add (f32.const 0.5) (f32.mul (local.get $g)
            (f32.add (f32.const 0.16666666666666666) (f32.mul (local.get $g)
            (f32.add (f32.const 0.041666666666666664) (f32.mul (local.get $g)
            (f32.add (f32.const 0.008333333333333333) (f32.mul (local.get $g) (f32.const 0.001388888888888889)))))))))))))
            (f32.reinterpret_i32 (i32.shl (i32.add (i32.trunc_sat_f32_s (local.get $n)) (i32.const 127)) (i32.const 23)))))
          (f32.store (i32.add (local.get $zs) (i32.shl (local.get $i) (i32.const 2))) (local.get $z0))
          (local.set $z (f32.mul (local.get $tw) (local.get $z0)))
          (local.set $col (f32x4.replace_lane 3 (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
            (v128.load32_zero (i32.add (local.get $src) (i32.mul (local.get $i) (i32.const 3))))))) (f32.const 1)))
          ;; The four bilinear corners: weight q = bw·z of (r, g, b, 1), coverage bw·tw, error e.
          (local.set $k (i32.const 0))
          (loop $corner
            (local.set $xx (i32.add (local.get $x0) (i32.and (local.get $k) (i32.const 1))))
            (local.set $yy (i32.add (local.get $y0) (i32.shr_u (local.get $k) (i32.const 1))))
            (local.set $bw (f32.mul
              (select (local.get $ax) (f32.sub (f32.const 1) (local.get $ax)) (i32.and (local.get $k) (i32.const 1)))
              (select (local.get $ay) (f32.sub (f32.const 1) (local.get $ay)) (i32.shr_u (local.get $k) (i32.const 1)))))
            (local.set $cv (f32.mul (local.get $bw) (local.get $tw)))
            (if (i32.and (i32.and (i32.lt_u (local.get $xx) (local.get $w)) (i32.lt_u (local.get $yy) (local.get $h)))
                         (f32.gt (local.get $cv) (f32.const 0)))
              (then
                (local.set $o (i32.add (i32.mul (local.get $yy) (local.get $w)) (local.get $xx)))
                (local.set $a (i32.add (local.get $rgbw) (i32.shl (local.get $o) (i32.const 4))))
                (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a))
                  (f32x4.mul (local.get $col) (f32x4.splat (f32.mul (local.get $bw) (local.get $z))))))
                (local.set $a (i32.add (local.get $cov) (i32.shl (local.get $o) (i32.const 2))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (local.get $cv)))
                (local.set $a (i32.add (local.get $aerr) (i32.shl (local.get $o) (i32.const 2))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32.mul (local.get $cv) (local.get $e))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $corner (i32.lt_u (local.get $k) (i32.const 4)))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col_)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $row)))
  )

  ;; backwarp.ts push(): every pixel's offsets to both frames pushed to time t along flow·s with weight zs;
  ;; each corner adds weight q of (ua, va, ub, vb) + (ex, ey, ex, ey), its offset from the landing spot.
  (func (export "backPush") (param $flow i32) (param $zs i32) (param $vec i32) (param $wt i32) (param $vis i32)
        (param $w i32) (param $h i32) (param $s f32) (param $fromA i32)
    (local $x i32) (local $y i32) (local $i i32) (local $u f32) (local $v f32) (local $tx f32) (local $ty f32)
    (local $x0f f32) (local $y0f f32) (local $x0 i32) (local $y0 i32) (local $ax f32) (local $ay f32) (local $z f32)
    (local $base v128) (local $side i32) (local $k i32) (local $xx i32) (local $yy i32) (local $q f32) (local $o i32) (local $a i32)
    (local $ex f32) (local $ey f32) (local $mul v128)
    (local.set $side (i32.eqz (local.get $fromA)))
    ;; (ua, va, ub, vb) = (u, v, u, v) · mul: from A (-s, -s, 1-s, 1-s), from B (1-s, 1-s, -s, -s).
    (if (local.get $fromA)
      (then (local.set $mul (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.splat (f32.neg (local.get $s))) (f32.sub (f32.const 1) (local.get $s))) (f32.sub (f32.const 1) (local.get $s)))))
      (else (local.set $mul (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.splat (f32.sub (f32.const 1) (local.get $s))) (f32.neg (local.get $s))) (f32.neg (local.get $s))))))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $h)))
      (local.set $x (i32.const 0))
      (block $cols (loop $col_
        (br_if $cols (i32.ge_s (local.get $x) (local.get $w)))
        (block $skip
          (local.set $u (f32.load (i32.add (local.get $flow) (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $v (f32.load offset=4 (i32.add (local.get $flow) (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $tx (f32.add (f32.convert_i32_s (local.get $x)) (f32.mul (local.get $s) (local.get $u))))
          (local.set $ty (f32.add (f32.convert_i32_s (local.get $y)) (f32.mul (local.get $s) (local.get $v))))
          (local.set $x0f (f32.floor (local.get $tx)))
          (local.set $y0f (f32.floor (local.get $ty)))
          (br_if $skip (i32.eqz (f32.ge (local.get $x0f) (f32.const -1))))
          (br_if $skip (i32.eqz (f32.ge (local.get $y0f) (f32.const -1))))
          (br_if $skip (f32.ge (local.get $x0f) (f32.convert_i32_s (local.get $w))))
          (br_if $skip (f32.ge (local.get $y0f) (f32.convert_i32_s (local.get $h))))
          (local.set $x0 (i32.trunc_f32_s (local.get $x0f)))
          (local.set $y0 (i32.trunc_f32_s (local.get $y0f)))
          (local.set $ax (f32.sub (local.get $tx) (local.get $x0f)))
          (local.set $ay (f32.sub (local.get $ty) (local.get $y0f)))
          (local.set $z (f32.load (i32.add (local.get $zs) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $base (f32x4.mul (local.get $mul)
            (f32x4.replace_lane 3 (f32x4.replace_lane 1 (f32x4.splat (local.get $u)) (local.get $v)) (local.get $v))))
          (local.set $k (i32.const 0))
          (loop $corner
            (local.set $xx (i32.add (local.get $x0) (i32.and (local.get $k) (i32.const 1))))
            (local.set $yy (i32.add (local.get $y0) (i32.shr_u (local.get $k) (i32.const 1))))
            (local.set $ex (select (f32.sub (local.get $ax) (f32.const 1)) (local.get $ax) (i32.and (local.get $k) (i32.const 1))))
            (local.set $ey (select (f32.sub (local.get $ay) (f32.const 1)) (local.get $ay) (i32.shr_u (local.get $k) (i32.const 1))))
            (local.set $q (f32.mul (f32.mul
              (select (local.get $ax) (f32.sub (f32.const 1) (local.get $ax)) (i32.and (local.get $k) (i32.const 1)))
              (select (local.get $ay) (f32.sub (f32.const 1) (local.get $ay)) (i32.shr_u (local.get $k) (i32.const 1))))
              (local.get $z)))
            (if (i32.and (i32.and (i32.lt_u (local.get $xx) (local.get $w)) (i32.lt_u (local.get $yy) (local.get $h)))
                         (f32.gt (local.get $q) (f32.const 0)))
              (then
                (local.set $o (i32.add (i32.mul (local.get $yy) (local.get $w)) (local.get $xx)))
                (local.set $a (i32.add (local.get $vec) (i32.shl (local.get $o) (i32.const 4))))
                (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a))
                  (f32x4.mul (f32x4.splat (local.get $q))
                    (f32x4.add (local.get $base)
                      (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $ex)) (local.get $ey)) (local.get $ex)) (local.get $ey))))))
                (local.set $a (i32.add (local.get $wt) (i32.shl (local.get $o) (i32.const 2))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (local.get $q)))
                (local.set $a (i32.add (local.get $vis) (i32.shl (i32.add (i32.shl (local.get $o) (i32.const 1)) (local.get $side)) (i32.const 2))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (local.get $q)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $corner (i32.lt_u (local.get $k) (i32.const 4)))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col_)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $row)))
  )

  ;; Divide each pushed offset quadruple by its weight; ok[i] = 1 where any weight landed.
  (func (export "backNormalize") (param $vec i32) (param $wt i32) (param $ok i32) (param $n i32)
    (local $i i32) (local $q f32) (local $a i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $q (f32.load (i32.add (local.get $wt) (i32.shl (local.get $i) (i32.const 2)))))
      (if (f32.gt (local.get $q) (f32.const 1e-9))
        (then
          (local.set $a (i32.add (local.get $vec) (i32.shl (local.get $i) (i32.const 4))))
          (v128.store (local.get $a) (f32x4.div (v128.load (local.get $a)) (f32x4.splat (local.get $q))))
          (i32.store8 (i32.add (local.get $ok) (local.get $i)) (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
  )

  ;; backwarp.ts sampling: each output pixel samples A and B along its offsets (bilinear, clamped to the border,
  ;; all three channels at once), weighted by how strongly each frame reached it, rounded and clamped to bytes.
  (func (export "backSample") (param $a i32) (param $b i32) (param $vec i32) (param $vis i32) (param $out i32)
        (param $w i32) (param $h i32) (param $t f32)
    (local $x i32) (local $y i32) (local $i i32) (local $va f32) (local $vb f32) (local $ka f32) (local $p i32)
    (local $side i32) (local $img i32) (local $sx f32) (local $sy f32) (local $x0 i32) (local $y0 i32) (local $x1 i32) (local $y1 i32)
    (local $ax f32) (local $ay f32) (local $r0 i32) (local $r1 i32) (local $acc v128) (local $k f32) (local $v v128)
    (local $wm1 f32) (local $hm1 f32)
    (local.set $wm1 (f32.convert_i32_s (i32.sub (local.get $w) (i32.const 1))))
    (local.set $hm1 (f32.convert_i32_s (i32.sub (local.get $h) (i32.const 1))))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $h)))
      (local.set $x (i32.const 0))
      (block $cols (loop $col_
        (br_if $cols (i32.ge_s (local.get $x) (local.get $w)))
        (local.set $p (i32.add (local.get $vis) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $va (f32.mul (f32.sub (f32.const 1) (local.get $t)) (f32.add (f32.load (local.get $p)) (f32.const 1e-3))))
        (local.set $vb (f32.mul (local.get $t) (f32.add (f32.load offset=4 (local.get $p)) (f32.const 1e-3))))
        (local.set $ka (f32.div (local.get $va) (f32.add (local.get $va) (local.get $vb))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $side (i32.const 0))
        (loop $sides
          ;; Side 0: A at (x, y) + vec[0..1], weight ka; side 1: B at (x, y) + vec[2..3], weight 1 - ka.
          (local.set $p (i32.add (i32.add (local.get $vec) (i32.shl (local.get $i) (i32.const 4))) (i32.shl (local.get $side) (i32.const 3))))
          (local.set $img (select (local.get $b) (local.get $a) (local.get $side)))
          (local.set $k (select (f32.sub (f32.const 1) (local.get $ka)) (local.get $ka) (local.get $side)))
          (local.set $sx (f32.min (f32.max (f32.add (f32.convert_i32_s (local.get $x)) (f32.load (local.get $p))) (f32.const 0)) (local.get $wm1)))
          (local.set $sy (f32.min (f32.max (f32.add (f32.convert_i32_s (local.get $y)) (f32.load offset=4 (local.get $p))) (f32.const 0)) (local.get $hm1)))
          (local.set $x0 (i32.trunc_sat_f32_u (local.get $sx)))
          (local.set $y0 (i32.trunc_sat_f32_u (local.get $sy)))
          (local.set $x1 (select (i32.add (local.get $x0) (i32.const 1)) (local.get $x0) (i32.lt_s (i32.add (local.get $x0) (i32.const 1)) (local.get $w))))
          (local.set $y1 (select (i32.add (local.get $y0) (i32.const 1)) (local.get $y0) (i32.lt_s (i32.add (local.get $y0) (i32.const 1)) (local.get $h))))
          (local.set $ax (f32.sub (local.get $sx) (f32.convert_i32_u (local.get $x0))))
          (local.set $ay (f32.sub (local.get $sy) (f32.convert_i32_u (local.get $y0))))
          (local.set $r0 (i32.add (local.get $img) (i32.mul (i32.mul (local.get $y0) (local.get $w)) (i32.const 3))))
          (local.set $r1 (i32.add (local.get $img) (i32.mul (i32.mul (local.get $y1) (local.get $w)) (i32.const 3))))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (f32x4.splat (local.get $k))
            (f32x4.add
              (f32x4.mul
                (f32x4.add
                  (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                               (v128.load32_zero (i32.add (local.get $r0) (i32.mul (local.get $x0) (i32.const 3)))))))
                             (f32x4.splat (f32.sub (f32.const 1) (local.get $ax))))
                  (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                               (v128.load32_zero (i32.add (local.get $r0) (i32.mul (local.get $x1) (i32.const 3)))))))
                             (f32x4.splat (local.get $ax))))
                (f32x4.splat (f32.sub (f32.const 1) (local.get $ay))))
              (f32x4.mul
                (f32x4.add
                  (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                               (v128.load32_zero (i32.add (local.get $r1) (i32.mul (local.get $x0) (i32.const 3)))))))
                             (f32x4.splat (f32.sub (f32.const 1) (local.get $ax))))
                  (f32x4.mul (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                               (v128.load32_zero (i32.add (local.get $r1) (i32.mul (local.get $x1) (i32.const 3)))))))
                             (f32x4.splat (local.get $ax))))
                (f32x4.splat (local.get $ay)))))))
          (local.set $side (i32.add (local.get $side) (i32.const 1)))
          (br_if $sides (i32.lt_u (local.get $side) (i32.const 2))))
        ;; Rounded half to even and clamped to bytes, as a Uint8ClampedArray stores them; 4 bytes written, the
        ;; 4th overwritten by the next pixel.
        (local.set $v (i32x4.trunc_sat_f32x4_s (f32x4.nearest (local.get $acc))))
        (local.set $v (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
        (v128.store32_lane 0 (i32.add (local.get $out) (i32.mul (local.get $i) (i32.const 3))) (i8x16.narrow_i16x8_u (local.get $v) (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col_)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $row)))
  )
)
