;; SIMD kernel for the shot metrics (src/shots/metrics.ts: halfPass, stats, blockChange, edgeStep); compiled into
;; src/shots/kernel-wasm.ts by scripts/shots-kernel.sh (wat2wasm, Debian package wabt).
;; Over the even pixels of RGB frames (bytes 6k..6k+2), sums of |c - p| for
;; seven past frames and of |2 mid - a - c| for three (a, mid) pairs.
(module
  (memory (export "memory") 1)
  ;; The per-16-byte sums below are written out in full: V8 does not inline wasm calls, and a call per vector cost
  ;; more than the arithmetic. |a - b| of bytes is (a -sat b) | (b -sat a), widened to four i32 lanes by pairwise adds.
  (func $hsum (param $v v128) (result i32)
    (i32.add (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
             (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
  ;; Frames at byte offsets c, p2..p24 (lags 2, 3, 4, 5, 6, 12, 24), len bytes each,
  ;; len a multiple of 48 (zero padding adds nothing). Writes 10 i32 sums at out:
  ;; diff lags 2-5, spans 3/6/12, blends 3/6/12.
  (func (export "halfPass") (param $c i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32)
        (param $p6 i32) (param $p12 i32) (param $p24 i32) (param $len i32) (param $out i32)
    (local $i i32)
    (local $vc v128) (local $vp2 v128) (local $vp3 v128) (local $vp4 v128) (local $vp5 v128)
    (local $vp6 v128) (local $vp12 v128) (local $vp24 v128)
    (local $d2 v128) (local $d3 v128) (local $d4 v128) (local $d5 v128)
    (local $s3 v128) (local $s6 v128) (local $s12 v128) (local $b3 v128) (local $b6 v128) (local $b12 v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        ;; bytes 0..15 of the 48-byte group
        (local.set $vc (v128.and (v128.load offset=0 (i32.add (local.get $c) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $vp2 (v128.and (v128.load offset=0 (i32.add (local.get $p2) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $vp3 (v128.and (v128.load offset=0 (i32.add (local.get $p3) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $vp4 (v128.and (v128.load offset=0 (i32.add (local.get $p4) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $vp5 (v128.and (v128.load offset=0 (i32.add (local.get $p5) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $vp6 (v128.and (v128.load offset=0 (i32.add (local.get $p6) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $vp12 (v128.and (v128.load offset=0 (i32.add (local.get $p12) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $vp24 (v128.and (v128.load offset=0 (i32.add (local.get $p24) (local.get $i))) (v128.const i8x16 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00)))
        (local.set $d2 (i32x4.add (local.get $d2) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp2)) (i8x16.sub_sat_u (local.get $vp2) (local.get $vc)))))))
        (local.set $d3 (i32x4.add (local.get $d3) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp3)) (i8x16.sub_sat_u (local.get $vp3) (local.get $vc)))))))
        (local.set $d4 (i32x4.add (local.get $d4) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp4)) (i8x16.sub_sat_u (local.get $vp4) (local.get $vc)))))))
        (local.set $d5 (i32x4.add (local.get $d5) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp5)) (i8x16.sub_sat_u (local.get $vp5) (local.get $vc)))))))
        (local.set $s3 (i32x4.add (local.get $s3) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp6)) (i8x16.sub_sat_u (local.get $vp6) (local.get $vc)))))))
        (local.set $s6 (i32x4.add (local.get $s6) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp12)) (i8x16.sub_sat_u (local.get $vp12) (local.get $vc)))))))
        (local.set $s12 (i32x4.add (local.get $s12) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp24)) (i8x16.sub_sat_u (local.get $vp24) (local.get $vc)))))))
        (local.set $b3 (i32x4.add (local.get $b3) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp3)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp6))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp3)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp6))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        (local.set $b6 (i32x4.add (local.get $b6) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp6)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp12))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp6)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp12))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        (local.set $b12 (i32x4.add (local.get $b12) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp12)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp24))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp12)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp24))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        ;; bytes 16..31 of the 48-byte group
        (local.set $vc (v128.and (v128.load offset=16 (i32.add (local.get $c) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $vp2 (v128.and (v128.load offset=16 (i32.add (local.get $p2) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $vp3 (v128.and (v128.load offset=16 (i32.add (local.get $p3) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $vp4 (v128.and (v128.load offset=16 (i32.add (local.get $p4) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $vp5 (v128.and (v128.load offset=16 (i32.add (local.get $p5) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $vp6 (v128.and (v128.load offset=16 (i32.add (local.get $p6) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $vp12 (v128.and (v128.load offset=16 (i32.add (local.get $p12) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $vp24 (v128.and (v128.load offset=16 (i32.add (local.get $p24) (local.get $i))) (v128.const i8x16 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff)))
        (local.set $d2 (i32x4.add (local.get $d2) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp2)) (i8x16.sub_sat_u (local.get $vp2) (local.get $vc)))))))
        (local.set $d3 (i32x4.add (local.get $d3) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp3)) (i8x16.sub_sat_u (local.get $vp3) (local.get $vc)))))))
        (local.set $d4 (i32x4.add (local.get $d4) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp4)) (i8x16.sub_sat_u (local.get $vp4) (local.get $vc)))))))
        (local.set $d5 (i32x4.add (local.get $d5) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp5)) (i8x16.sub_sat_u (local.get $vp5) (local.get $vc)))))))
        (local.set $s3 (i32x4.add (local.get $s3) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp6)) (i8x16.sub_sat_u (local.get $vp6) (local.get $vc)))))))
        (local.set $s6 (i32x4.add (local.get $s6) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp12)) (i8x16.sub_sat_u (local.get $vp12) (local.get $vc)))))))
        (local.set $s12 (i32x4.add (local.get $s12) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp24)) (i8x16.sub_sat_u (local.get $vp24) (local.get $vc)))))))
        (local.set $b3 (i32x4.add (local.get $b3) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp3)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp6))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp3)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp6))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        (local.set $b6 (i32x4.add (local.get $b6) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp6)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp12))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp6)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp12))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        (local.set $b12 (i32x4.add (local.get $b12) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp12)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp24))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp12)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp24))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        ;; bytes 32..47 of the 48-byte group
        (local.set $vc (v128.and (v128.load offset=32 (i32.add (local.get $c) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $vp2 (v128.and (v128.load offset=32 (i32.add (local.get $p2) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $vp3 (v128.and (v128.load offset=32 (i32.add (local.get $p3) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $vp4 (v128.and (v128.load offset=32 (i32.add (local.get $p4) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $vp5 (v128.and (v128.load offset=32 (i32.add (local.get $p5) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $vp6 (v128.and (v128.load offset=32 (i32.add (local.get $p6) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $vp12 (v128.and (v128.load offset=32 (i32.add (local.get $p12) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $vp24 (v128.and (v128.load offset=32 (i32.add (local.get $p24) (local.get $i))) (v128.const i8x16 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00 0xff 0xff 0xff 0x00 0x00 0x00)))
        (local.set $d2 (i32x4.add (local.get $d2) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp2)) (i8x16.sub_sat_u (local.get $vp2) (local.get $vc)))))))
        (local.set $d3 (i32x4.add (local.get $d3) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp3)) (i8x16.sub_sat_u (local.get $vp3) (local.get $vc)))))))
        (local.set $d4 (i32x4.add (local.get $d4) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp4)) (i8x16.sub_sat_u (local.get $vp4) (local.get $vc)))))))
        (local.set $d5 (i32x4.add (local.get $d5) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp5)) (i8x16.sub_sat_u (local.get $vp5) (local.get $vc)))))))
        (local.set $s3 (i32x4.add (local.get $s3) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp6)) (i8x16.sub_sat_u (local.get $vp6) (local.get $vc)))))))
        (local.set $s6 (i32x4.add (local.get $s6) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp12)) (i8x16.sub_sat_u (local.get $vp12) (local.get $vc)))))))
        (local.set $s12 (i32x4.add (local.get $s12) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.or (i8x16.sub_sat_u (local.get $vc) (local.get $vp24)) (i8x16.sub_sat_u (local.get $vp24) (local.get $vc)))))))
        (local.set $b3 (i32x4.add (local.get $b3) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp3)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp6))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp3)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp6))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        (local.set $b6 (i32x4.add (local.get $b6) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp6)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp12))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp6)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp12))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        (local.set $b12 (i32x4.add (local.get $b12) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_low_i8x16_u (local.get $vp12)) (i32.const 1)) (i16x8.extend_low_i8x16_u (local.get $vp24))) (i16x8.extend_low_i8x16_u (local.get $vc))))) (i32x4.extadd_pairwise_i16x8_u (i16x8.abs (i16x8.sub (i16x8.sub (i16x8.shl (i16x8.extend_high_i8x16_u (local.get $vp12)) (i32.const 1)) (i16x8.extend_high_i8x16_u (local.get $vp24))) (i16x8.extend_high_i8x16_u (local.get $vc))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 48)))
        (br $next)))
    (i32.store offset=0 (local.get $out) (call $hsum (local.get $d2)))
    (i32.store offset=4 (local.get $out) (call $hsum (local.get $d3)))
    (i32.store offset=8 (local.get $out) (call $hsum (local.get $d4)))
    (i32.store offset=12 (local.get $out) (call $hsum (local.get $d5)))
    (i32.store offset=16 (local.get $out) (call $hsum (local.get $s3)))
    (i32.store offset=20 (local.get $out) (call $hsum (local.get $s6)))
    (i32.store offset=24 (local.get $out) (call $hsum (local.get $s12)))
    (i32.store offset=28 (local.get $out) (call $hsum (local.get $b3)))
    (i32.store offset=32 (local.get $out) (call $hsum (local.get $b6)))
    (i32.store offset=36 (local.get $out) (call $hsum (local.get $b12))))

  ;; ---- Per-frame measures of one frame (metrics.ts: stats, blockChange, edgeStep), exact integer sums. ----

  ;; Over the frame's px RGB pixels at $c: luma bytes into $luma, the 64 colour-histogram counts (i32) into $counts,
  ;; and at $out: f64 sum of luma, f64 sum of luma^2 (exact integers), i32 dark pixels, i32 light pixels. $idx: 16 bytes of scratch.
  (func (export "pixels") (param $c i32) (param $px i32) (param $luma i32) (param $counts i32) (param $idx i32) (param $out i32)
    (local $i i32) (local $k i32) (local $a i32) (local $left i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $r v128) (local $g v128) (local $b v128)
    (local $yl v128) (local $yh v128) (local $sum v128) (local $sq v128)
    (local $dark i32) (local $light i32) (local $sum64 i64) (local $sq64 i64)
    (local $R i32) (local $G i32) (local $B i32) (local $y i32)
    (memory.fill (local.get $counts) (i32.const 0) (i32.const 256))
    (block $done
      (loop $outer
        ;; At most 4096 groups of 16 pixels per flush: the i32 lanes of the luma^2 sums stay far from overflow.
        (local.set $left (i32.const 4096))
        (block $flush
          (loop $group
            (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $px)))
            (br_if $flush (i32.eqz (local.get $left)))
            (local.set $left (i32.sub (local.get $left) (i32.const 1)))
            (local.set $a (i32.add (local.get $c) (i32.mul (local.get $i) (i32.const 3))))
            (local.set $v0 (v128.load offset=0 (local.get $a)))
            (local.set $v1 (v128.load offset=16 (local.get $a)))
            (local.set $v2 (v128.load offset=32 (local.get $a)))
            ;; Deinterleave 16 pixels into R, G, B (swizzle indices >= 16 give 0).
            (local.set $r (v128.or (v128.or
              (i8x16.swizzle (local.get $v0) (v128.const i8x16 0 3 6 9 12 15 255 255 255 255 255 255 255 255 255 255))
              (i8x16.swizzle (local.get $v1) (v128.const i8x16 255 255 255 255 255 255 2 5 8 11 14 255 255 255 255 255)))
              (i8x16.swizzle (local.get $v2) (v128.const i8x16 255 255 255 255 255 255 255 255 255 255 255 1 4 7 10 13))))
            (local.set $g (v128.or (v128.or
              (i8x16.swizzle (local.get $v0) (v128.const i8x16 1 4 7 10 13 255 255 255 255 255 255 255 255 255 255 255))
              (i8x16.swizzle (local.get $v1) (v128.const i8x16 255 255 255 255 255 0 3 6 9 12 15 255 255 255 255 255)))
              (i8x16.swizzle (local.get $v2) (v128.const i8x16 255 255 255 255 255 255 255 255 255 255 255 2 5 8 11 14))))
            (local.set $b (v128.or (v128.or
              (i8x16.swizzle (local.get $v0) (v128.const i8x16 2 5 8 11 14 255 255 255 255 255 255 255 255 255 255 255))
              (i8x16.swizzle (local.get $v1) (v128.const i8x16 255 255 255 255 255 1 4 7 10 13 255 255 255 255 255 255)))
              (i8x16.swizzle (local.get $v2) (v128.const i8x16 255 255 255 255 255 255 255 255 255 255 0 3 6 9 12 15))))
            ;; Dark: every channel < DARK (max < 16); light: every channel > LIGHT (min > 239).
            (local.set $dark (i32.add (local.get $dark) (i32.popcnt (i8x16.bitmask
              (i8x16.lt_u (i8x16.max_u (i8x16.max_u (local.get $r) (local.get $g)) (local.get $b)) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16))))))
            (local.set $light (i32.add (local.get $light) (i32.popcnt (i8x16.bitmask
              (i8x16.gt_u (i8x16.min_u (i8x16.min_u (local.get $r) (local.get $g)) (local.get $b)) (v128.const i8x16 239 239 239 239 239 239 239 239 239 239 239 239 239 239 239 239))))))
            ;; Luma (77 R + 150 G + 29 B) >> 8: at most 65280, exact in unsigned 16-bit lanes.
            (local.set $yl (i16x8.shr_u (i16x8.add (i16x8.add
              (i16x8.mul (i16x8.extend_low_i8x16_u (local.get $r)) (v128.const i16x8 77 77 77 77 77 77 77 77))
              (i16x8.mul (i16x8.extend_low_i8x16_u (local.get $g)) (v128.const i16x8 150 150 150 150 150 150 150 150)))
              (i16x8.mul (i16x8.extend_low_i8x16_u (local.get $b)) (v128.const i16x8 29 29 29 29 29 29 29 29))) (i32.const 8)))
            (local.set $yh (i16x8.shr_u (i16x8.add (i16x8.add
              (i16x8.mul (i16x8.extend_high_i8x16_u (local.get $r)) (v128.const i16x8 77 77 77 77 77 77 77 77))
              (i16x8.mul (i16x8.extend_high_i8x16_u (local.get $g)) (v128.const i16x8 150 150 150 150 150 150 150 150)))
              (i16x8.mul (i16x8.extend_high_i8x16_u (local.get $b)) (v128.const i16x8 29 29 29 29 29 29 29 29))) (i32.const 8)))
            (v128.store (i32.add (local.get $luma) (local.get $i)) (i8x16.narrow_i16x8_u (local.get $yl) (local.get $yh)))
            (local.set $sum (i32x4.add (local.get $sum) (i32x4.add (i32x4.extadd_pairwise_i16x8_u (local.get $yl)) (i32x4.extadd_pairwise_i16x8_u (local.get $yh)))))
            (local.set $sq (i32x4.add (local.get $sq) (i32x4.add (i32x4.dot_i16x8_s (local.get $yl) (local.get $yl)) (i32x4.dot_i16x8_s (local.get $yh) (local.get $yh)))))
            ;; Histogram bin (R>>6)<<4 | (G>>6)<<2 | B>>6 per pixel, then 16 scalar increments.
            (v128.store (local.get $idx) (v128.or (v128.or
              (i8x16.shl (i8x16.shr_u (local.get $r) (i32.const 6)) (i32.const 4))
              (i8x16.shl (i8x16.shr_u (local.get $g) (i32.const 6)) (i32.const 2)))
              (i8x16.shr_u (local.get $b) (i32.const 6))))
            (local.set $k (i32.const 0))
            (loop $bins
              (local.set $a (i32.add (local.get $counts) (i32.shl (i32.load8_u (i32.add (local.get $idx) (local.get $k))) (i32.const 2))))
              (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $bins (i32.lt_u (local.get $k) (i32.const 16))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $group)))
        (local.set $sum64 (i64.add (local.get $sum64) (i64.extend_i32_u (call $hsum (local.get $sum)))))
        (local.set $sq64 (i64.add (local.get $sq64) (i64.extend_i32_u (call $hsum (local.get $sq)))))
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $sq (v128.const i32x4 0 0 0 0))
        (br $outer)))
    (local.set $sum64 (i64.add (local.get $sum64) (i64.extend_i32_u (call $hsum (local.get $sum)))))
    (local.set $sq64 (i64.add (local.get $sq64) (i64.extend_i32_u (call $hsum (local.get $sq)))))
    ;; The last px % 16 pixels one by one.
    (block $end
      (loop $tail
        (br_if $end (i32.ge_u (local.get $i) (local.get $px)))
        (local.set $a (i32.add (local.get $c) (i32.mul (local.get $i) (i32.const 3))))
        (local.set $R (i32.load8_u offset=0 (local.get $a)))
        (local.set $G (i32.load8_u offset=1 (local.get $a)))
        (local.set $B (i32.load8_u offset=2 (local.get $a)))
        (if (i32.and (i32.and (i32.lt_u (local.get $R) (i32.const 16)) (i32.lt_u (local.get $G) (i32.const 16))) (i32.lt_u (local.get $B) (i32.const 16)))
          (then (local.set $dark (i32.add (local.get $dark) (i32.const 1)))))
        (if (i32.and (i32.and (i32.gt_u (local.get $R) (i32.const 239)) (i32.gt_u (local.get $G) (i32.const 239))) (i32.gt_u (local.get $B) (i32.const 239)))
          (then (local.set $light (i32.add (local.get $light) (i32.const 1)))))
        (local.set $y (i32.shr_u (i32.add (i32.add (i32.mul (local.get $R) (i32.const 77)) (i32.mul (local.get $G) (i32.const 150))) (i32.mul (local.get $B) (i32.const 29))) (i32.const 8)))
        (i32.store8 (i32.add (local.get $luma) (local.get $i)) (local.get $y))
        (local.set $sum64 (i64.add (local.get $sum64) (i64.extend_i32_u (local.get $y))))
        (local.set $sq64 (i64.add (local.get $sq64) (i64.extend_i32_u (i32.mul (local.get $y) (local.get $y)))))
        (local.set $a (i32.add (local.get $counts) (i32.shl (i32.or (i32.or
          (i32.shl (i32.shr_u (local.get $R) (i32.const 6)) (i32.const 4))
          (i32.shl (i32.shr_u (local.get $G) (i32.const 6)) (i32.const 2)))
          (i32.shr_u (local.get $B) (i32.const 6))) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (f64.store offset=0 (local.get $out) (f64.convert_i64_u (local.get $sum64)))
    (f64.store offset=8 (local.get $out) (f64.convert_i64_u (local.get $sq64)))
    (i32.store offset=16 (local.get $out) (local.get $dark))
    (i32.store offset=20 (local.get $out) (local.get $light)))

  ;; Grid sums over a frame of $h rows of $w3 bytes at $c: per thumbnail cell and channel the sum of bytes (768 i32
  ;; at $thumb), and with $hasPrev per block the sum of |c - p| (64 i32 at $block). Bytes are summed per column into
  ;; the u32 accumulators $colT / $colB ($pad bytes each, $w3 rounded up to 16; the rounding columns read the next
  ;; row and are dropped) over a band of rows, then into cells: $rowT / $rowB give each row's band (bytes),
  ;; $cellT (u16) each byte's thumbnail column * 3 + channel, $cellB (u8) each byte's block column.
  (func (export "grid") (param $c i32) (param $p i32) (param $hasPrev i32) (param $w3 i32) (param $h i32)
        (param $rowT i32) (param $rowB i32) (param $cellT i32) (param $cellB i32) (param $colT i32) (param $colB i32)
        (param $thumb i32) (param $block i32)
    (local $r i32) (local $j i32) (local $base i32) (local $pad i32) (local $band i32) (local $last i32) (local $a i32) (local $acc i32)
    (local $v v128) (local $q v128) (local $lo v128) (local $hi v128)
    (local.set $pad (i32.and (i32.add (local.get $w3) (i32.const 15)) (i32.const -16)))
    (memory.fill (local.get $thumb) (i32.const 0) (i32.const 3072))
    (memory.fill (local.get $block) (i32.const 0) (i32.const 256))
    (memory.fill (local.get $colT) (i32.const 0) (i32.shl (local.get $pad) (i32.const 2)))
    (memory.fill (local.get $colB) (i32.const 0) (i32.shl (local.get $pad) (i32.const 2)))
    (block $rows
      (loop $row
        (br_if $rows (i32.ge_u (local.get $r) (local.get $h)))
        (local.set $base (i32.mul (local.get $r) (local.get $w3)))
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $v (v128.load (i32.add (local.get $c) (i32.add (local.get $base) (local.get $j)))))
          ;; Bytes widened to u32 and added to the column accumulators.
          (local.set $acc (i32.add (local.get $colT) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
          (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
          (v128.store offset=0 (local.get $acc) (i32x4.add (v128.load offset=0 (local.get $acc)) (i32x4.extend_low_i16x8_u (local.get $lo))))
          (v128.store offset=16 (local.get $acc) (i32x4.add (v128.load offset=16 (local.get $acc)) (i32x4.extend_high_i16x8_u (local.get $lo))))
          (v128.store offset=32 (local.get $acc) (i32x4.add (v128.load offset=32 (local.get $acc)) (i32x4.extend_low_i16x8_u (local.get $hi))))
          (v128.store offset=48 (local.get $acc) (i32x4.add (v128.load offset=48 (local.get $acc)) (i32x4.extend_high_i16x8_u (local.get $hi))))
          (if (local.get $hasPrev) (then
            (local.set $q (v128.load (i32.add (local.get $p) (i32.add (local.get $base) (local.get $j)))))
            (local.set $v (v128.or (i8x16.sub_sat_u (local.get $v) (local.get $q)) (i8x16.sub_sat_u (local.get $q) (local.get $v))))
            (local.set $acc (i32.add (local.get $colB) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
            (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
            (v128.store offset=0 (local.get $acc) (i32x4.add (v128.load offset=0 (local.get $acc)) (i32x4.extend_low_i16x8_u (local.get $lo))))
            (v128.store offset=16 (local.get $acc) (i32x4.add (v128.load offset=16 (local.get $acc)) (i32x4.extend_high_i16x8_u (local.get $lo))))
            (v128.store offset=32 (local.get $acc) (i32x4.add (v128.load offset=32 (local.get $acc)) (i32x4.extend_low_i16x8_u (local.get $hi))))
            (v128.store offset=48 (local.get $acc) (i32x4.add (v128.load offset=48 (local.get $acc)) (i32x4.extend_high_i16x8_u (local.get $hi))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $w3))))
        (local.set $last (i32.eq (i32.add (local.get $r) (i32.const 1)) (local.get $h)))
        ;; End of a thumbnail band: column sums into its cells.
        (local.set $band (i32.load8_u (i32.add (local.get $rowT) (local.get $r))))
        (if (i32.or (local.get $last) (i32.ne (local.get $band) (i32.load8_u offset=1 (i32.add (local.get $rowT) (local.get $r))))) (then
          (local.set $j (i32.const 0))
          (loop $cells
            (local.set $a (i32.add (local.get $thumb) (i32.shl (i32.add (i32.mul (local.get $band) (i32.const 48))
              (i32.load16_u (i32.add (local.get $cellT) (i32.shl (local.get $j) (i32.const 1))))) (i32.const 2))))
            (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.load (i32.add (local.get $colT) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $cells (i32.lt_u (local.get $j) (local.get $w3))))
          (memory.fill (local.get $colT) (i32.const 0) (i32.shl (local.get $pad) (i32.const 2)))))
        (local.set $band (i32.load8_u (i32.add (local.get $rowB) (local.get $r))))
        (if (i32.and (local.get $hasPrev) (i32.or (local.get $last) (i32.ne (local.get $band) (i32.load8_u offset=1 (i32.add (local.get $rowB) (local.get $r)))))) (then
          (local.set $j (i32.const 0))
          (loop $blocks
            (local.set $a (i32.add (local.get $block) (i32.shl (i32.add (i32.mul (local.get $band) (i32.const 8))
              (i32.load8_u (i32.add (local.get $cellB) (local.get $j)))) (i32.const 2))))
            (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.load (i32.add (local.get $colB) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $blocks (i32.lt_u (local.get $j) (local.get $w3))))
          (memory.fill (local.get $colB) (i32.const 0) (i32.shl (local.get $pad) (i32.const 2)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Binary edge map of the luma gradient ($w x $h bytes at $y) into $cur (0/1 bytes; borders stay 0), compared with
  ;; $prev: at $out the i32 count of pixels that changed and of pixels that are edges in either map. The interior is
  ;; swept as one run (positions w+1 .. (h-1)w-2); the border columns inside it are then taken back out.
  (func (export "edges") (param $y i32) (param $cur i32) (param $prev i32) (param $w i32) (param $h i32) (param $out i32)
    (local $i i32) (local $end i32) (local $changed i32) (local $total i32) (local $e i32) (local $pv i32) (local $gx i32) (local $gy i32) (local $k i32)
    (local $a v128) (local $b v128) (local $u v128) (local $d v128) (local $gxl v128) (local $gxh v128) (local $gyl v128) (local $gyh v128)
    (local $m v128) (local $ev v128) (local $pvv v128)
    (if (i32.or (i32.lt_u (local.get $w) (i32.const 3)) (i32.lt_u (local.get $h) (i32.const 3))) (then
      (i32.store offset=0 (local.get $out) (i32.const 0))
      (i32.store offset=4 (local.get $out) (i32.const 0))
      (return)))
    (local.set $i (i32.add (local.get $w) (i32.const 1)))
    (local.set $end (i32.sub (i32.mul (i32.sub (local.get $h) (i32.const 1)) (local.get $w)) (i32.const 1)))
    (block $simd
      (loop $run
        (br_if $simd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
        (local.set $a (v128.load (i32.add (local.get $y) (i32.add (local.get $i) (i32.const 1)))))
        (local.set $b (v128.load (i32.add (local.get $y) (i32.sub (local.get $i) (i32.const 1)))))
        (local.set $u (v128.load (i32.add (local.get $y) (i32.add (local.get $i) (local.get $w)))))
        (local.set $d (v128.load (i32.add (local.get $y) (i32.sub (local.get $i) (local.get $w)))))
        (local.set $gxl (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $a)) (i16x8.extend_low_i8x16_u (local.get $b))))
        (local.set $gxh (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $a)) (i16x8.extend_high_i8x16_u (local.get $b))))
        (local.set $gyl (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $u)) (i16x8.extend_low_i8x16_u (local.get $d))))
        (local.set $gyh (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $u)) (i16x8.extend_high_i8x16_u (local.get $d))))
        ;; gx^2 + gy^2 > 1600 in i32 lanes (up to 130050), the four masks narrowed back to 16 bytes.
        (local.set $m (i8x16.narrow_i16x8_s
          (i16x8.narrow_i32x4_s
            (i32x4.gt_s (i32x4.add (i32x4.extmul_low_i16x8_s (local.get $gxl) (local.get $gxl)) (i32x4.extmul_low_i16x8_s (local.get $gyl) (local.get $gyl))) (v128.const i32x4 1600 1600 1600 1600))
            (i32x4.gt_s (i32x4.add (i32x4.extmul_high_i16x8_s (local.get $gxl) (local.get $gxl)) (i32x4.extmul_high_i16x8_s (local.get $gyl) (local.get $gyl))) (v128.const i32x4 1600 1600 1600 1600)))
          (i16x8.narrow_i32x4_s
            (i32x4.gt_s (i32x4.add (i32x4.extmul_low_i16x8_s (local.get $gxh) (local.get $gxh)) (i32x4.extmul_low_i16x8_s (local.get $gyh) (local.get $gyh))) (v128.const i32x4 1600 1600 1600 1600))
            (i32x4.gt_s (i32x4.add (i32x4.extmul_high_i16x8_s (local.get $gxh) (local.get $gxh)) (i32x4.extmul_high_i16x8_s (local.get $gyh) (local.get $gyh))) (v128.const i32x4 1600 1600 1600 1600)))))
        (local.set $ev (v128.and (local.get $m) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1)))
        (v128.store (i32.add (local.get $cur) (local.get $i)) (local.get $ev))
        (local.set $pvv (v128.load (i32.add (local.get $prev) (local.get $i))))
        (local.set $changed (i32.add (local.get $changed) (i32.popcnt (i8x16.bitmask (i8x16.ne (local.get $ev) (local.get $pvv))))))
        (local.set $total (i32.add (local.get $total) (i32.popcnt (i8x16.bitmask (v128.or (local.get $m) (i8x16.ne (local.get $pvv) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $run)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gx (i32.sub (i32.load8_u (i32.add (local.get $y) (i32.add (local.get $i) (i32.const 1)))) (i32.load8_u (i32.add (local.get $y) (i32.sub (local.get $i) (i32.const 1))))))
        (local.set $gy (i32.sub (i32.load8_u (i32.add (local.get $y) (i32.add (local.get $i) (local.get $w)))) (i32.load8_u (i32.add (local.get $y) (i32.sub (local.get $i) (local.get $w))))))
        (local.set $e (i32.gt_s (i32.add (i32.mul (local.get $gx) (local.get $gx)) (i32.mul (local.get $gy) (local.get $gy))) (i32.const 1600)))
        (i32.store8 (i32.add (local.get $cur) (local.get $i)) (local.get $e))
        (local.set $pv (i32.load8_u (i32.add (local.get $prev) (local.get $i))))
        (local.set $changed (i32.add (local.get $changed) (i32.ne (local.get $e) (local.get $pv))))
        (local.set $total (i32.add (local.get $total) (i32.ne (i32.or (local.get $e) (local.get $pv)) (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    ;; Border pixels swept above (columns w-1 and 0 of rows 1..h-2, positions kw-1 and kw for k = 2..h-2): their
    ;; previous value is a border 0, so each counted as changed and as an edge exactly when it was set.
    (local.set $k (i32.const 2))
    (block $fixed
      (loop $fix
        (br_if $fixed (i32.gt_u (local.get $k) (i32.sub (local.get $h) (i32.const 2))))
        (local.set $i (i32.sub (i32.mul (local.get $k) (local.get $w)) (i32.const 1)))
        (local.set $e (i32.add (i32.load8_u (i32.add (local.get $cur) (local.get $i))) (i32.load8_u offset=1 (i32.add (local.get $cur) (local.get $i)))))
        (local.set $changed (i32.sub (local.get $changed) (local.get $e)))
        (local.set $total (i32.sub (local.get $total) (local.get $e)))
        (i32.store16 (i32.add (local.get $cur) (local.get $i)) (i32.const 0))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $fix)))
    (i32.store offset=0 (local.get $out) (local.get $changed))
    (i32.store offset=4 (local.get $out) (local.get $total)))
)
