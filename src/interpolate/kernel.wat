;; SIMD kernels of the in-between synthesis (src/interpolate/kernel.ts drives them); compiled into
;; src/interpolate/kernel-wasm.ts by scripts/interpolate-kernel.sh (wat2wasm, Debian package wabt).
;; Each pass over rows takes a band of rows [ya, yb): called band by band, V8 moves a kernel from its baseline
;; compiler to the optimising one after the first bands (a call runs to its end in the tier it started in).
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
        (param $alpha f32) (param $depth f32) (param $cap f32) (param $gx f32) (param $gy f32) (param $ya i32) (param $yb i32)
    (local $x i32) (local $y i32) (local $i i32) (local $fx f32) (local $fy f32) (local $tx f32) (local $ty f32)
    (local $x0f f32) (local $y0f f32) (local $x0 i32) (local $y0 i32) (local $ax f32) (local $ay f32)
    (local $dx f32) (local $dy f32) (local $rel f32) (local $z0 f32) (local $z f32) (local $e f32) (local $col v128)
    (local $k i32) (local $xx i32) (local $yy i32) (local $bw f32) (local $cv f32) (local $o i32) (local $a i32)
    (local $n f32) (local $g f32)
    (local.set $y (local.get $ya))
    (local.set $i (i32.mul (local.get $ya) (local.get $w)))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $yb)))
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
        (param $w i32) (param $h i32) (param $s f32) (param $fromA i32) (param $ya i32) (param $yb i32)
    (local $x i32) (local $y i32) (local $i i32) (local $u f32) (local $v f32) (local $tx f32) (local $ty f32)
    (local $x0f f32) (local $y0f f32) (local $x0 i32) (local $y0 i32) (local $ax f32) (local $ay f32) (local $z f32)
    (local $base v128) (local $side i32) (local $k i32) (local $xx i32) (local $yy i32) (local $q f32) (local $o i32) (local $a i32)
    (local $ex f32) (local $ey f32) (local $mul v128)
    (local.set $side (i32.eqz (local.get $fromA)))
    ;; (ua, va, ub, vb) = (u, v, u, v) · mul: from A (-s, -s, 1-s, 1-s), from B (1-s, 1-s, -s, -s).
    (if (local.get $fromA)
      (then (local.set $mul (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.splat (f32.neg (local.get $s))) (f32.sub (f32.const 1) (local.get $s))) (f32.sub (f32.const 1) (local.get $s)))))
      (else (local.set $mul (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.splat (f32.sub (f32.const 1) (local.get $s))) (f32.neg (local.get $s))) (f32.neg (local.get $s))))))
    (local.set $y (local.get $ya))
    (local.set $i (i32.mul (local.get $ya) (local.get $w)))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $yb)))
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
        (param $w i32) (param $h i32) (param $t f32) (param $ya i32) (param $yb i32)
    (local $x i32) (local $y i32) (local $i i32) (local $va f32) (local $vb f32) (local $ka f32) (local $p i32)
    (local $side i32) (local $img i32) (local $sx f32) (local $sy f32) (local $x0 i32) (local $y0 i32) (local $x1 i32) (local $y1 i32)
    (local $ax f32) (local $ay f32) (local $r0 i32) (local $r1 i32) (local $acc v128) (local $k f32) (local $v v128)
    (local $wm1 f32) (local $hm1 f32)
    (local.set $wm1 (f32.convert_i32_s (i32.sub (local.get $w) (i32.const 1))))
    (local.set $hm1 (f32.convert_i32_s (i32.sub (local.get $h) (i32.const 1))))
    (local.set $y (local.get $ya))
    (local.set $i (i32.mul (local.get $ya) (local.get $w)))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $yb)))
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
  ;; Bilinear sample, clamped to the border, of all channels of the RGB image at img (w x h) at (x, y), in lanes 0..2.
  (func $at3 (param $img i32) (param $w i32) (param $h i32) (param $x f32) (param $y f32) (result v128)
    (local $x0 i32) (local $y0 i32) (local $x1 i32) (local $y1 i32) (local $ax f32) (local $ay f32) (local $r0 i32) (local $r1 i32)
    (local.set $x (f32.min (f32.max (local.get $x) (f32.const 0)) (f32.convert_i32_s (i32.sub (local.get $w) (i32.const 1)))))
    (local.set $y (f32.min (f32.max (local.get $y) (f32.const 0)) (f32.convert_i32_s (i32.sub (local.get $h) (i32.const 1)))))
    (local.set $x0 (i32.trunc_sat_f32_u (local.get $x)))
    (local.set $y0 (i32.trunc_sat_f32_u (local.get $y)))
    (local.set $x1 (select (i32.add (local.get $x0) (i32.const 1)) (local.get $x0) (i32.lt_s (i32.add (local.get $x0) (i32.const 1)) (local.get $w))))
    (local.set $y1 (select (i32.add (local.get $y0) (i32.const 1)) (local.get $y0) (i32.lt_s (i32.add (local.get $y0) (i32.const 1)) (local.get $h))))
    (local.set $ax (f32.sub (local.get $x) (f32.convert_i32_u (local.get $x0))))
    (local.set $ay (f32.sub (local.get $y) (f32.convert_i32_u (local.get $y0))))
    (local.set $r0 (i32.add (local.get $img) (i32.mul (i32.mul (local.get $y0) (local.get $w)) (i32.const 3))))
    (local.set $r1 (i32.add (local.get $img) (i32.mul (i32.mul (local.get $y1) (local.get $w)) (i32.const 3))))
    (f32x4.add
      (f32x4.mul
        (f32x4.add
          (f32x4.mul (call $px (i32.add (local.get $r0) (i32.mul (local.get $x0) (i32.const 3)))) (f32x4.splat (f32.sub (f32.const 1) (local.get $ax))))
          (f32x4.mul (call $px (i32.add (local.get $r0) (i32.mul (local.get $x1) (i32.const 3)))) (f32x4.splat (local.get $ax))))
        (f32x4.splat (f32.sub (f32.const 1) (local.get $ay))))
      (f32x4.mul
        (f32x4.add
          (f32x4.mul (call $px (i32.add (local.get $r1) (i32.mul (local.get $x0) (i32.const 3)))) (f32x4.splat (f32.sub (f32.const 1) (local.get $ax))))
          (f32x4.mul (call $px (i32.add (local.get $r1) (i32.mul (local.get $x1) (i32.const 3)))) (f32x4.splat (local.get $ax))))
        (f32x4.splat (local.get $ay)))))

  ;; The 3 colour bytes at p as floats in lanes 0..2 (lane 3: the next byte).
  (func $px (param $p i32) (result v128)
    (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))))

  ;; Lanes rounded half to even and clamped to 0..255, as a Uint8ClampedArray stores and reads them back.
  (func $byte (param $v v128) (result v128)
    (f32x4.min (f32x4.max (f32x4.nearest (local.get $v)) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 255 255 255 255)))

  ;; splat.ts splatBetween's per-pixel pass: the normalised joint splat, shrunk towards the two-sided average by
  ;; beta, hole-filled by a backward sample along the local flow, mixed with the backward-sampled frame `back`
  ;; (weight bw) and its median with the blend (weight rw), and leant towards the blend where no motion fits
  ;; (lean up to lk). Each stage is rounded to a byte as the JavaScript version stores it. unsure (0 = none) gets
  ;; per pixel the largest of the lean, beta and the hole share. beta, back: 0 = none.
  (func (export "compose") (param $a i32) (param $b i32) (param $fab i32) (param $fba i32) (param $ra i32) (param $rb i32)
        (param $covA i32) (param $covB i32) (param $errA i32) (param $errB i32) (param $beta i32) (param $back i32)
        (param $out i32) (param $unsure i32) (param $w i32) (param $h i32) (param $t f32) (param $hole f32)
        (param $e0 f32) (param $e1 f32) (param $both f32) (param $bw f32) (param $rw f32) (param $lk f32) (param $ya i32) (param $yb i32)
    (local $x i32) (local $y i32) (local $i i32) (local $va v128) (local $vb v128) (local $wa f32) (local $wb f32) (local $wsum f32)
    (local $ca f32) (local $cb f32) (local $lack f32) (local $fill v128) (local $lean f32) (local $m f32) (local $me f32) (local $bt f32)
    (local $v v128) (local $p v128) (local $q v128) (local $bl v128) (local $g f32) (local $o i32) (local $vi v128)
    (local.set $y (local.get $ya))
    (local.set $i (i32.mul (local.get $ya) (local.get $w)))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $yb)))
      (local.set $x (i32.const 0))
      (block $cols (loop $col_
        (br_if $cols (i32.ge_s (local.get $x) (local.get $w)))
        (local.set $va (v128.load (i32.add (local.get $ra) (i32.shl (local.get $i) (i32.const 4)))))
        (local.set $vb (v128.load (i32.add (local.get $rb) (i32.shl (local.get $i) (i32.const 4)))))
        (local.set $wa (f32x4.extract_lane 3 (local.get $va)))
        (local.set $wb (f32x4.extract_lane 3 (local.get $vb)))
        (local.set $wsum (f32.add (local.get $wa) (local.get $wb)))
        (local.set $ca (f32.load (i32.add (local.get $covA) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $cb (f32.load (i32.add (local.get $covB) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $lack (f32.sub (local.get $hole) (f32.add (local.get $ca) (local.get $cb))))
        (if (i32.eqz (f32.gt (local.get $lack) (f32.const 0))) (then (local.set $lack (f32.const 0))))
        (local.set $lean (f32.const 0))
        (local.set $fill (v128.const i32x4 0 0 0 0))
        (if (i32.or (f32.gt (local.get $lack) (f32.const 0)) (f32.le (local.get $wsum) (f32.const 1e-12)))
          (then
            (local.set $fill (f32x4.add
              (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $t)))
                (call $at3 (local.get $a) (local.get $w) (local.get $h)
                  (f32.sub (f32.convert_i32_s (local.get $x)) (f32.mul (local.get $t) (f32.load (i32.add (local.get $fab) (i32.shl (local.get $i) (i32.const 3))))))
                  (f32.sub (f32.convert_i32_s (local.get $y)) (f32.mul (local.get $t) (f32.load offset=4 (i32.add (local.get $fab) (i32.shl (local.get $i) (i32.const 3))))))))
              (f32x4.mul (f32x4.splat (local.get $t))
                (call $at3 (local.get $b) (local.get $w) (local.get $h)
                  (f32.sub (f32.convert_i32_s (local.get $x)) (f32.mul (f32.sub (f32.const 1) (local.get $t)) (f32.load (i32.add (local.get $fba) (i32.shl (local.get $i) (i32.const 3))))))
                  (f32.sub (f32.convert_i32_s (local.get $y)) (f32.mul (f32.sub (f32.const 1) (local.get $t)) (f32.load offset=4 (i32.add (local.get $fba) (i32.shl (local.get $i) (i32.const 3))))))))))))
        (if (f32.le (local.get $wsum) (f32.const 1e-12))
          (then (local.set $v (call $byte (local.get $fill))))
          (else
            (local.set $m (f32.div (local.get $lack) (local.get $hole)))
            (local.set $me (f32.const 0))
            (if (i32.and (f32.gt (local.get $ca) (local.get $both)) (f32.gt (local.get $cb) (local.get $both)))
              (then (local.set $me (f32.min
                (f32.div (f32.load (i32.add (local.get $errA) (i32.shl (local.get $i) (i32.const 2)))) (local.get $ca))
                (f32.div (f32.load (i32.add (local.get $errB) (i32.shl (local.get $i) (i32.const 2)))) (local.get $cb))))))
            (if (i32.and (f32.gt (local.get $e0) (f32.const 0)) (f32.gt (local.get $me) (local.get $e0)))
              (then (local.set $lean (f32.min (f32.const 1) (f32.div (f32.sub (local.get $me) (local.get $e0)) (local.get $e1))))))
            (local.set $bt (f32.const 0))
            (if (i32.and (i32.ne (local.get $beta) (i32.const 0))
                  (i32.and (f32.gt (local.get $wa) (f32.const 1e-6)) (f32.gt (local.get $wb) (f32.const 1e-6))))
              (then (local.set $bt (f32.load (i32.add (local.get $beta) (i32.shl (local.get $i) (i32.const 2)))))))
            (if (local.get $unsure)
              (then (f32.store (i32.add (local.get $unsure) (i32.shl (local.get $i) (i32.const 2)))
                (f32.max (f32.max (local.get $lean) (local.get $bt)) (local.get $m)))))
            (local.set $v (f32x4.div (f32x4.add (local.get $va) (local.get $vb)) (f32x4.splat (local.get $wsum))))
            (if (f32.gt (local.get $bt) (f32.const 0))
              (then (local.set $v (f32x4.add
                (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $bt))) (local.get $v))
                (f32x4.mul (f32x4.splat (local.get $bt))
                  (f32x4.add
                    (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $t))) (f32x4.div (local.get $va) (f32x4.splat (local.get $wa))))
                    (f32x4.mul (f32x4.splat (local.get $t)) (f32x4.div (local.get $vb) (f32x4.splat (local.get $wb))))))))))
            (local.set $v (call $byte (f32x4.add
              (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $m))) (local.get $v))
              (f32x4.mul (f32x4.splat (local.get $m)) (local.get $fill)))))))
        (local.set $o (i32.mul (local.get $i) (i32.const 3)))
        ;; The blend (1 - t)·A + t·B, for the median and the hedge.
        (local.set $bl (f32x4.add
          (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $t))) (call $px (i32.add (local.get $a) (local.get $o))))
          (f32x4.mul (f32x4.splat (local.get $t)) (call $px (i32.add (local.get $b) (local.get $o))))))
        (if (local.get $back)
          (then
            (local.set $p (local.get $v))
            (local.set $q (call $px (i32.add (local.get $back) (local.get $o))))
            (local.set $v (f32x4.add (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $bw))) (local.get $p))
                                     (f32x4.mul (f32x4.splat (local.get $bw)) (local.get $q))))
            (if (f32.gt (local.get $rw) (f32.const 0))
              (then (local.set $v (f32x4.add
                (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $rw))) (local.get $v))
                (f32x4.mul (f32x4.splat (local.get $rw))
                  (f32x4.max (f32x4.min (local.get $p) (local.get $q)) (f32x4.min (f32x4.max (local.get $p) (local.get $q)) (local.get $bl))))))))
            (local.set $v (call $byte (local.get $v)))))
        (local.set $g (f32.mul (local.get $lean) (local.get $lk)))
        (if (f32.gt (local.get $g) (f32.const 0))
          (then (local.set $v (call $byte (f32x4.add
            (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $g))) (local.get $v))
            (f32x4.mul (f32x4.splat (local.get $g)) (local.get $bl)))))))
        (local.set $vi (i32x4.trunc_sat_f32x4_s (local.get $v)))
        (local.set $vi (i16x8.narrow_i32x4_s (local.get $vi) (local.get $vi)))
        (v128.store32_lane 0 (i32.add (local.get $out) (local.get $o)) (i8x16.narrow_i16x8_u (local.get $vi) (local.get $vi)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col_)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $row)))
  )
  ;; raster.ts guidedUpsample: the low-resolution (u, v, err, 0) quadruples at lo (w wide) upsampled bilinearly to
  ;; W x H with the taps per column (x0, x1 as i32 at tx0, tx1; weight at tax, f32) and per row (ty0, ty1, tay),
  ;; u and v divided by (sx, sy); where the four low-resolution vectors disagree by edge or more, the one whose
  ;; small-image colour best matches the big image's pixel instead. Writes (u, v) pairs at flow, err at err.
  (func (export "upsample") (param $lo i32) (param $small i32) (param $big i32) (param $w i32) (param $W i32) (param $H i32)
        (param $tx0 i32) (param $tx1 i32) (param $tax i32) (param $ty0 i32) (param $ty1 i32) (param $tay i32)
        (param $sx f32) (param $sy f32) (param $edge f32) (param $flow i32) (param $err i32) (param $ya i32) (param $yb i32)
    (local $x i32) (local $y i32) (local $i i32) (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $r0 i32) (local $r1 i32) (local $ax v128) (local $ay v128) (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $top v128) (local $bot v128) (local $v v128) (local $d v128) (local $div v128) (local $c v128) (local $best v128)
    (local $bd f32) (local $dd f32) (local $k i32) (local $q i32)
    (local.set $div (f32x4.replace_lane 1 (f32x4.replace_lane 0 (v128.const f32x4 1 1 1 1) (local.get $sx)) (local.get $sy)))
    (local.set $y (local.get $ya))
    (local.set $i (i32.mul (local.get $ya) (local.get $W)))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $yb)))
      (local.set $r0 (i32.mul (i32.load (i32.add (local.get $ty0) (i32.shl (local.get $y) (i32.const 2)))) (local.get $w)))
      (local.set $r1 (i32.mul (i32.load (i32.add (local.get $ty1) (i32.shl (local.get $y) (i32.const 2)))) (local.get $w)))
      (local.set $ay (f32x4.splat (f32.load (i32.add (local.get $tay) (i32.shl (local.get $y) (i32.const 2))))))
      (local.set $x (i32.const 0))
      (block $cols (loop $col_
        (br_if $cols (i32.ge_s (local.get $x) (local.get $W)))
        (local.set $q0 (i32.add (local.get $r0) (i32.load (i32.add (local.get $tx0) (i32.shl (local.get $x) (i32.const 2))))))
        (local.set $q1 (i32.add (local.get $r0) (i32.load (i32.add (local.get $tx1) (i32.shl (local.get $x) (i32.const 2))))))
        (local.set $q2 (i32.add (local.get $r1) (i32.load (i32.add (local.get $tx0) (i32.shl (local.get $x) (i32.const 2))))))
        (local.set $q3 (i32.add (local.get $r1) (i32.load (i32.add (local.get $tx1) (i32.shl (local.get $x) (i32.const 2))))))
        (local.set $ax (f32x4.splat (f32.load (i32.add (local.get $tax) (i32.shl (local.get $x) (i32.const 2))))))
        (local.set $p0 (v128.load (i32.add (local.get $lo) (i32.shl (local.get $q0) (i32.const 4)))))
        (local.set $p1 (v128.load (i32.add (local.get $lo) (i32.shl (local.get $q1) (i32.const 4)))))
        (local.set $p2 (v128.load (i32.add (local.get $lo) (i32.shl (local.get $q2) (i32.const 4)))))
        (local.set $p3 (v128.load (i32.add (local.get $lo) (i32.shl (local.get $q3) (i32.const 4)))))
        (local.set $top (f32x4.add (local.get $p0) (f32x4.mul (f32x4.sub (local.get $p1) (local.get $p0)) (local.get $ax))))
        (local.set $bot (f32x4.add (local.get $p2) (f32x4.mul (f32x4.sub (local.get $p3) (local.get $p2)) (local.get $ax))))
        (local.set $v (f32x4.div (f32x4.add (local.get $top) (f32x4.mul (f32x4.sub (local.get $bot) (local.get $top)) (local.get $ay))) (local.get $div)))
        ;; Spread of u and v over the four neighbours.
        (local.set $d (f32x4.sub
          (f32x4.max (f32x4.max (local.get $p0) (local.get $p1)) (f32x4.max (local.get $p2) (local.get $p3)))
          (f32x4.min (f32x4.min (local.get $p0) (local.get $p1)) (f32x4.min (local.get $p2) (local.get $p3)))))
        (if (i32.eqz (i32.and (f32.lt (f32x4.extract_lane 0 (local.get $d)) (local.get $edge)) (f32.lt (f32x4.extract_lane 1 (local.get $d)) (local.get $edge))))
          (then
            ;; A motion boundary: the neighbour whose colour matches this pixel best (the first of equals).
            (local.set $c (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
              (v128.load32_zero (i32.add (local.get $big) (i32.mul (local.get $i) (i32.const 3))))))))
            (local.set $bd (f32.const inf))
            (local.set $k (i32.const 0))
            (loop $nb
              (local.set $q (select (select (local.get $q0) (local.get $q1) (i32.eqz (local.get $k))) (select (local.get $q2) (local.get $q3) (i32.eq (local.get $k) (i32.const 2))) (i32.lt_u (local.get $k) (i32.const 2))))
              (local.set $d (f32x4.abs (f32x4.sub (local.get $c) (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                (v128.load32_zero (i32.add (local.get $small) (i32.mul (local.get $q) (i32.const 3))))))))))
              (local.set $dd (f32.add (f32.add (f32x4.extract_lane 0 (local.get $d)) (f32x4.extract_lane 1 (local.get $d))) (f32x4.extract_lane 2 (local.get $d))))
              (if (f32.lt (local.get $dd) (local.get $bd))
                (then (local.set $bd (local.get $dd)) (local.set $best (v128.load (i32.add (local.get $lo) (i32.shl (local.get $q) (i32.const 4)))))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $nb (i32.lt_u (local.get $k) (i32.const 4))))
            (local.set $v (f32x4.div (local.get $best) (local.get $div)))))
        (v128.store64_lane 0 (i32.add (local.get $flow) (i32.shl (local.get $i) (i32.const 3))) (local.get $v))
        (f32.store (i32.add (local.get $err) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 2 (local.get $v)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col_)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $row)))
  )
  ;; obmc.ts obmcBetween plus its mix in interp.ts, for the pixels where mix > 0: each mixes the bilateral predictions
  ;; (1-t)·A(p - t·v) + t·C(p + (1-t)·v) of its four nearest grid vectors v (at vg, gw wide, divided by scale) with
  ;; raised-cosine weights (per column: first block at col0, weights at colW; per row: rowG0, rowW), rounded to a
  ;; byte q; then the byte o at out becomes round((1 - g)·o + g·q) with g = mix.
  (func (export "obmcMix") (param $a i32) (param $c i32) (param $vg i32) (param $gw i32) (param $scale f32) (param $t f32)
        (param $col0 i32) (param $colW i32) (param $rowG0 i32) (param $rowW i32) (param $mix i32) (param $out i32)
        (param $w i32) (param $h i32) (param $ya i32) (param $yb i32)
    (local $x i32) (local $y i32) (local $i i32) (local $g f32) (local $k i32) (local $blk i32) (local $side i32)
    (local $wgt f32) (local $q i32) (local $vx f32) (local $vy f32) (local $sx f32) (local $sy f32) (local $img i32) (local $kw f32)
    (local $x0 i32) (local $y0 i32) (local $x1 i32) (local $y1 i32) (local $ax f32) (local $ay f32) (local $r0 i32) (local $r1 i32)
    (local $acc v128) (local $o v128) (local $vi v128) (local $gy0 i32) (local $wm1 f32) (local $hm1 f32) (local $p i32)
    (local.set $wm1 (f32.convert_i32_s (i32.sub (local.get $w) (i32.const 1))))
    (local.set $hm1 (f32.convert_i32_s (i32.sub (local.get $h) (i32.const 1))))
    (local.set $y (local.get $ya))
    (local.set $i (i32.mul (local.get $ya) (local.get $w)))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $yb)))
      (local.set $gy0 (i32.load (i32.add (local.get $rowG0) (i32.shl (local.get $y) (i32.const 2)))))
      (local.set $x (i32.const 0))
      (block $cols (loop $col_
        (br_if $cols (i32.ge_s (local.get $x) (local.get $w)))
        (local.set $g (f32.load (i32.add (local.get $mix) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.gt (local.get $g) (f32.const 0))
          (then
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $sample
              ;; Sample k: block k >> 1 (x + (blk & 1), y + (blk >> 1) on the grid), side k & 1 (A or C).
              (local.set $blk (i32.shr_u (local.get $k) (i32.const 1)))
              (local.set $side (i32.and (local.get $k) (i32.const 1)))
              (local.set $wgt (f32.mul
                (f32.load (i32.add (local.get $colW) (i32.shl (i32.add (i32.shl (local.get $x) (i32.const 1)) (i32.and (local.get $blk) (i32.const 1))) (i32.const 2))))
                (f32.load (i32.add (local.get $rowW) (i32.shl (i32.add (i32.shl (local.get $y) (i32.const 1)) (i32.shr_u (local.get $blk) (i32.const 1))) (i32.const 2))))))
              (if (f32.gt (local.get $wgt) (f32.const 0))
                (then
                  (local.set $q (i32.add
                    (i32.mul (i32.add (local.get $gy0) (i32.shr_u (local.get $blk) (i32.const 1))) (local.get $gw))
                    (i32.add (i32.load (i32.add (local.get $col0) (i32.shl (local.get $x) (i32.const 2)))) (i32.and (local.get $blk) (i32.const 1)))))
                  (local.set $vx (f32.div (f32.load (i32.add (local.get $vg) (i32.shl (local.get $q) (i32.const 3)))) (local.get $scale)))
                  (local.set $vy (f32.div (f32.load offset=4 (i32.add (local.get $vg) (i32.shl (local.get $q) (i32.const 3)))) (local.get $scale)))
                  ;; Side 0: A at p - t·v, weight (1 - t); side 1: C at p + (1 - t)·v, weight t.
                  (local.set $kw (select (local.get $t) (f32.sub (f32.const 1) (local.get $t)) (local.get $side)))
                  (local.set $img (select (local.get $c) (local.get $a) (local.get $side)))
                  (local.set $ax (select (f32.sub (f32.const 1) (local.get $t)) (f32.neg (local.get $t)) (local.get $side)))
                  (local.set $sx (f32.min (f32.max (f32.add (f32.convert_i32_s (local.get $x)) (f32.mul (local.get $ax) (local.get $vx))) (f32.const 0)) (local.get $wm1)))
                  (local.set $sy (f32.min (f32.max (f32.add (f32.convert_i32_s (local.get $y)) (f32.mul (local.get $ax) (local.get $vy))) (f32.const 0)) (local.get $hm1)))
                  (local.set $x0 (i32.trunc_sat_f32_u (local.get $sx)))
                  (local.set $y0 (i32.trunc_sat_f32_u (local.get $sy)))
                  (local.set $x1 (select (i32.add (local.get $x0) (i32.const 1)) (local.get $x0) (i32.lt_s (i32.add (local.get $x0) (i32.const 1)) (local.get $w))))
                  (local.set $y1 (select (i32.add (local.get $y0) (i32.const 1)) (local.get $y0) (i32.lt_s (i32.add (local.get $y0) (i32.const 1)) (local.get $h))))
                  (local.set $ax (f32.sub (local.get $sx) (f32.convert_i32_u (local.get $x0))))
                  (local.set $ay (f32.sub (local.get $sy) (f32.convert_i32_u (local.get $y0))))
                  (local.set $r0 (i32.add (local.get $img) (i32.mul (i32.mul (local.get $y0) (local.get $w)) (i32.const 3))))
                  (local.set $r1 (i32.add (local.get $img) (i32.mul (i32.mul (local.get $y1) (local.get $w)) (i32.const 3))))
                  (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (f32x4.splat (f32.mul (local.get $wgt) (local.get $kw)))
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
                        (f32x4.splat (local.get $ay)))))))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $sample (i32.lt_u (local.get $k) (i32.const 8))))
            (local.set $p (i32.add (local.get $out) (i32.mul (local.get $i) (i32.const 3))))
            (local.set $o (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))))
            ;; Math.round: halves round up.
            (local.set $vi (i32x4.trunc_sat_f32x4_s (f32x4.floor (f32x4.add (v128.const f32x4 0.5 0.5 0.5 0.5) (f32x4.add
              (f32x4.mul (f32x4.splat (f32.sub (f32.const 1) (local.get $g))) (local.get $o))
              (f32x4.mul (f32x4.splat (local.get $g)) (call $byte (local.get $acc))))))))
            (local.set $vi (i16x8.narrow_i32x4_s (local.get $vi) (local.get $vi)))
            ;; Only these 3 bytes are written: the next pixel may already be final.
            (v128.store16_lane 0 (local.get $p) (i8x16.narrow_i16x8_u (local.get $vi) (local.get $vi)))
            (v128.store8_lane 2 (i32.add (local.get $p) (i32.const 2)) (i8x16.narrow_i16x8_u (local.get $vi) (local.get $vi)))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col_)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $row)))
  )
  ;; obmc.ts block cost, inside the frame: the sum over an S x S grid of every other pixel (2S x 2S block) of
  ;; |A(p + oa) - C(p + oc)|, both bilinear on the 8-bit planes la and lc (w wide), where the block's first sample
  ;; sits at pa in A and pc in C and (fax, fay), (fcx, fcy) are the fractional shifts. float64, summed in the
  ;; order of the JavaScript loop, so the sum is the same to the last bit.
  (func (export "blockSad") (param $la i32) (param $lc i32) (param $w i32) (param $pa i32) (param $pc i32) (param $S i32)
        (param $fax f64) (param $fay f64) (param $fcx f64) (param $fcy f64) (result f64)
    (local $s f64) (local $j i32) (local $k i32) (local $a i32) (local $c i32) (local $va f64) (local $vc f64)
    (local $gax f64) (local $gay f64) (local $gcx f64) (local $gcy f64)
    (local.set $gax (f64.sub (f64.const 1) (local.get $fax)))
    (local.set $gay (f64.sub (f64.const 1) (local.get $fay)))
    (local.set $gcx (f64.sub (f64.const 1) (local.get $fcx)))
    (local.set $gcy (f64.sub (f64.const 1) (local.get $fcy)))
    (local.set $pa (i32.add (local.get $la) (local.get $pa)))
    (local.set $pc (i32.add (local.get $lc) (local.get $pc)))
    (loop $rows
      (local.set $a (local.get $pa))
      (local.set $c (local.get $pc))
      (local.set $k (i32.const 0))
      (loop $cols
        (local.set $va (f64.add
          (f64.mul (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $a))) (local.get $gax))
                            (f64.mul (f64.convert_i32_u (i32.load8_u offset=1 (local.get $a))) (local.get $fax))) (local.get $gay))
          (f64.mul (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $a) (local.get $w)))) (local.get $gax))
                            (f64.mul (f64.convert_i32_u (i32.load8_u offset=1 (i32.add (local.get $a) (local.get $w)))) (local.get $fax))) (local.get $fay))))
        (local.set $vc (f64.add
          (f64.mul (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $c))) (local.get $gcx))
                            (f64.mul (f64.convert_i32_u (i32.load8_u offset=1 (local.get $c))) (local.get $fcx))) (local.get $gcy))
          (f64.mul (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $c) (local.get $w)))) (local.get $gcx))
                            (f64.mul (f64.convert_i32_u (i32.load8_u offset=1 (i32.add (local.get $c) (local.get $w)))) (local.get $fcx))) (local.get $fcy))))
        (local.set $s (f64.add (local.get $s) (f64.abs (f64.sub (local.get $va) (local.get $vc)))))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (local.set $c (i32.add (local.get $c) (i32.const 2)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $k) (local.get $S))))
      (local.set $pa (i32.add (local.get $pa) (i32.shl (local.get $w) (i32.const 1))))
      (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $w) (i32.const 1))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $j) (local.get $S))))
    (local.get $s))
  ;; raster.ts warpError for 3-channel images: per pixel of A, the mean over RGB of |A(p) - B(p + flow(p))| with B
  ;; sampled bilinearly, clamped to the border, in float64 with the JavaScript at3's operations in its order, so
  ;; every value is the same to the last bit. Writes float32 at out.
  (func (export "warpError") (param $a i32) (param $b i32) (param $flow i32) (param $out i32) (param $w i32) (param $h i32)
        (param $ya i32) (param $yb i32)
    (local $x i32) (local $y i32) (local $i i32) (local $sx f64) (local $sy f64) (local $x0 i32) (local $y0 i32) (local $x1 i32) (local $y1 i32)
    (local $ax f64) (local $ay f64) (local $bx f64) (local $by f64) (local $p00 i32) (local $p01 i32) (local $p10 i32) (local $p11 i32)
    (local $e f64) (local $k i32) (local $wm1 f64) (local $hm1 f64) (local $pa i32)
    (local.set $wm1 (f64.convert_i32_s (i32.sub (local.get $w) (i32.const 1))))
    (local.set $hm1 (f64.convert_i32_s (i32.sub (local.get $h) (i32.const 1))))
    (local.set $y (local.get $ya))
    (local.set $i (i32.mul (local.get $ya) (local.get $w)))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $y) (local.get $yb)))
      (local.set $x (i32.const 0))
      (block $cols (loop $col_
        (br_if $cols (i32.ge_s (local.get $x) (local.get $w)))
        (local.set $sx (f64.add (f64.convert_i32_s (local.get $x)) (f64.promote_f32 (f32.load (i32.add (local.get $flow) (i32.shl (local.get $i) (i32.const 3)))))))
        (local.set $sy (f64.add (f64.convert_i32_s (local.get $y)) (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $flow) (i32.shl (local.get $i) (i32.const 3)))))))
        (if (f64.lt (local.get $sx) (f64.const 0)) (then (local.set $sx (f64.const 0)))
          (else (if (f64.gt (local.get $sx) (local.get $wm1)) (then (local.set $sx (local.get $wm1))))))
        (if (f64.lt (local.get $sy) (f64.const 0)) (then (local.set $sy (f64.const 0)))
          (else (if (f64.gt (local.get $sy) (local.get $hm1)) (then (local.set $sy (local.get $hm1))))))
        (local.set $x0 (i32.trunc_sat_f64_s (local.get $sx)))
        (local.set $y0 (i32.trunc_sat_f64_s (local.get $sy)))
        (local.set $x1 (select (i32.add (local.get $x0) (i32.const 1)) (local.get $x0) (i32.lt_s (i32.add (local.get $x0) (i32.const 1)) (local.get $w))))
        (local.set $y1 (select (i32.add (local.get $y0) (i32.const 1)) (local.get $y0) (i32.lt_s (i32.add (local.get $y0) (i32.const 1)) (local.get $h))))
        (local.set $ax (f64.sub (local.get $sx) (f64.convert_i32_s (local.get $x0))))
        (local.set $ay (f64.sub (local.get $sy) (f64.convert_i32_s (local.get $y0))))
        (local.set $bx (f64.sub (f64.const 1) (local.get $ax)))
        (local.set $by (f64.sub (f64.const 1) (local.get $ay)))
        (local.set $p00 (i32.add (local.get $b) (i32.mul (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0)) (i32.const 3))))
        (local.set $p01 (i32.add (local.get $b) (i32.mul (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x1)) (i32.const 3))))
        (local.set $p10 (i32.add (local.get $b) (i32.mul (i32.add (i32.mul (local.get $y1) (local.get $w)) (local.get $x0)) (i32.const 3))))
        (local.set $p11 (i32.add (local.get $b) (i32.mul (i32.add (i32.mul (local.get $y1) (local.get $w)) (local.get $x1)) (i32.const 3))))
        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (i32.const 3))))
        (local.set $e (f64.const 0))
        (local.set $k (i32.const 0))
        (loop $ch
          (local.set $e (f64.add (local.get $e) (f64.abs (f64.sub
            (f64.convert_i32_u (i32.load8_u (i32.add (local.get $pa) (local.get $k))))
            (f64.add
              (f64.mul (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p00) (local.get $k)))) (local.get $bx))
                                (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p01) (local.get $k)))) (local.get $ax))) (local.get $by))
              (f64.mul (f64.add (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p10) (local.get $k)))) (local.get $bx))
                                (f64.mul (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p11) (local.get $k)))) (local.get $ax))) (local.get $ay)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $ch (i32.lt_u (local.get $k) (i32.const 3))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (f64.div (local.get $e) (f64.const 3))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $col_)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $row)))
  )
  ;; raster.ts boxBlur (radius r >= 1, edges clamped) of the f32 plane at src into out, through tmp (f32) and acc
  ;; (one f64 per column: the vertical pass runs along rows for the cache, each column's sum in its own order).
  ;; float64 sums in the JavaScript order, so every value is the same to the last bit.
  (func (export "boxBlur") (param $src i32) (param $tmp i32) (param $acc i32) (param $out i32) (param $w i32) (param $h i32) (param $r i32)
    (local $x i32) (local $y i32) (local $k i32) (local $row i32) (local $s f64) (local $norm f64) (local $p i32) (local $q i32) (local $a i32)
    (local.set $norm (f64.div (f64.const 1) (f64.convert_i32_s (i32.add (i32.shl (local.get $r) (i32.const 1)) (i32.const 1)))))
    ;; Rows.
    (local.set $y (i32.const 0))
    (block $rdone (loop $rows
      (br_if $rdone (i32.ge_s (local.get $y) (local.get $h)))
      (local.set $row (i32.mul (local.get $y) (local.get $w)))
      (local.set $s (f64.const 0))
      (local.set $k (i32.sub (i32.const 0) (local.get $r)))
      (loop $init
        (local.set $p (select (i32.const 0) (local.get $k) (i32.lt_s (local.get $k) (i32.const 0))))
        (local.set $p (select (i32.sub (local.get $w) (i32.const 1)) (local.get $p) (i32.gt_s (local.get $p) (i32.sub (local.get $w) (i32.const 1)))))
        (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (i32.add (local.get $row) (local.get $p)) (i32.const 2)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $init (i32.le_s (local.get $k) (local.get $r))))
      (local.set $x (i32.const 0))
      (loop $cols
        (f32.store (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2))) (f32.demote_f64 (f64.mul (local.get $s) (local.get $norm))))
        (local.set $p (i32.add (i32.add (local.get $x) (local.get $r)) (i32.const 1)))
        (local.set $p (select (i32.sub (local.get $w) (i32.const 1)) (local.get $p) (i32.gt_s (local.get $p) (i32.sub (local.get $w) (i32.const 1)))))
        (local.set $q (i32.sub (local.get $x) (local.get $r)))
        (local.set $q (select (i32.const 0) (local.get $q) (i32.lt_s (local.get $q) (i32.const 0))))
        (local.set $s (f64.add (local.get $s) (f64.sub
          (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (i32.add (local.get $row) (local.get $p)) (i32.const 2)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (i32.add (local.get $row) (local.get $q)) (i32.const 2))))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $cols (i32.lt_s (local.get $x) (local.get $w))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $rows)))
    ;; Columns: acc[x] starts at 0 and takes rows -r..r (clamped), in that order.
    (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $w) (i32.const 3)))
    (local.set $k (i32.sub (i32.const 0) (local.get $r)))
    (loop $init2
      (local.set $p (select (i32.const 0) (local.get $k) (i32.lt_s (local.get $k) (i32.const 0))))
      (local.set $p (select (i32.sub (local.get $h) (i32.const 1)) (local.get $p) (i32.gt_s (local.get $p) (i32.sub (local.get $h) (i32.const 1)))))
      (local.set $row (i32.mul (local.get $p) (local.get $w)))
      (local.set $x (i32.const 0))
      (loop $c2
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $x) (i32.const 3))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
          (f64.promote_f32 (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2)))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $c2 (i32.lt_s (local.get $x) (local.get $w))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $init2 (i32.le_s (local.get $k) (local.get $r))))
    (local.set $y (i32.const 0))
    (block $vdone (loop $vrows
      (br_if $vdone (i32.ge_s (local.get $y) (local.get $h)))
      (local.set $p (i32.add (i32.add (local.get $y) (local.get $r)) (i32.const 1)))
      (local.set $p (i32.mul (select (i32.sub (local.get $h) (i32.const 1)) (local.get $p) (i32.gt_s (local.get $p) (i32.sub (local.get $h) (i32.const 1)))) (local.get $w)))
      (local.set $q (i32.sub (local.get $y) (local.get $r)))
      (local.set $q (i32.mul (select (i32.const 0) (local.get $q) (i32.lt_s (local.get $q) (i32.const 0))) (local.get $w)))
      (local.set $row (i32.mul (local.get $y) (local.get $w)))
      (local.set $x (i32.const 0))
      (loop $vcols
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $x) (i32.const 3))))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2))) (f32.demote_f64 (f64.mul (f64.load (local.get $a)) (local.get $norm))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.sub
          (f64.promote_f32 (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $p) (local.get $x)) (i32.const 2)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $q) (local.get $x)) (i32.const 2))))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $vcols (i32.lt_s (local.get $x) (local.get $w))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $vrows)))
  )
)
