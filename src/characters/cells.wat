;; SIMD kernel of the learned detector's training (src/characters/cells.ts); compiled into
;; src/characters/cells-wasm.ts by scripts/cells-kernel.sh (wat2wasm, Debian package wabt).
;; n cells of dim floats each (dim a multiple of 4), stored row after row at x.
(module
  (memory (export "memory") 1)
  ;; z[i] = sum_k w[k] x[i, k] for every cell: four f32 lanes, two accumulators.
  (func (export "scores") (param $x i32) (param $n i32) (param $dim i32) (param $w i32) (param $z i32)
    (local $i i32) (local $k i32) (local $row i32) (local $bytes i32) (local $a v128) (local $b v128)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $row (local.get $x))
    (block $done
      (loop $cell
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        ;; 8 floats a step, then 4 when dim is not a multiple of 8
        (block $tail
          (loop $dot
            (br_if $tail (i32.gt_u (i32.add (local.get $k) (i32.const 32)) (local.get $bytes)))
            (local.set $a (f32x4.add (local.get $a) (f32x4.mul
              (v128.load (i32.add (local.get $row) (local.get $k))) (v128.load (i32.add (local.get $w) (local.get $k))))))
            (local.set $b (f32x4.add (local.get $b) (f32x4.mul
              (v128.load offset=16 (i32.add (local.get $row) (local.get $k))) (v128.load offset=16 (i32.add (local.get $w) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 32)))
            (br $dot)))
        (if (i32.lt_u (local.get $k) (local.get $bytes))
          (then (local.set $a (f32x4.add (local.get $a) (f32x4.mul
            (v128.load (i32.add (local.get $row) (local.get $k))) (v128.load (i32.add (local.get $w) (local.get $k))))))))
        (local.set $a (f32x4.add (local.get $a) (local.get $b)))
        (f32.store (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
                   (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (local.set $row (i32.add (local.get $row) (local.get $bytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cell))))
;; g[k] = sum_i e[i] x[i, k] (g is overwritten): e and g in float64, so a sum over many cells loses nothing.
  (func (export "gradient") (param $x i32) (param $n i32) (param $dim i32) (param $e i32) (param $g i32)
    (local $i i32) (local $k i32) (local $row i32) (local $bytes i32) (local $s v128) (local $v v128) (local $at i32)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $k (i32.const 0))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $k) (i32.shl (local.get $bytes) (i32.const 1))))
        (v128.store (i32.add (local.get $g) (local.get $k)) (v128.const f64x2 0 0))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $zero)))
    (local.set $row (local.get $x))
    (block $done
      (loop $cell
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (f64x2.splat (f64.load (i32.add (local.get $e) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $k (i32.const 0))
        (block $end
          (loop $axpy
            (br_if $end (i32.ge_u (local.get $k) (local.get $bytes)))
            ;; four floats of the cell, widened to two f64 pairs
            (local.set $v (v128.load (i32.add (local.get $row) (local.get $k))))
            (local.set $at (i32.add (local.get $g) (i32.shl (local.get $k) (i32.const 1))))
            (v128.store (local.get $at) (f64x2.add (v128.load (local.get $at))
              (f64x2.mul (local.get $s) (f64x2.promote_low_f32x4 (local.get $v)))))
            (v128.store offset=16 (local.get $at) (f64x2.add (v128.load offset=16 (local.get $at))
              (f64x2.mul (local.get $s) (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $axpy)))
        (local.set $row (i32.add (local.get $row) (local.get $bytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cell)))))
