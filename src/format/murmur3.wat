;; MurmurHash3_x86_32 over memory[0, end), little-endian 32-bit words, the word number `zero` read as
;; 0: the same function as murmur3() in checksum.ts (which the build uses), for indexes large enough
;; that an interpreted loop costs more at start than compiling this. Assembled into murmur3-wasm.ts by
;; `node scripts/assemble-wasm.mjs`.
(module
  (memory (export "memory") 1)
  (func (export "murmur3") (param $end i32) (param $zero i32) (param $seed i32) (result i32)
    (local $h i32) (local $i i32) (local $words i32) (local $k i32) (local $tail i32) (local $p i32)
    (local.set $h (local.get $seed))
    (local.set $words (i32.shr_u (local.get $end) (i32.const 2)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $words)))
        (local.set $k
          (select (i32.const 0) (i32.load (i32.shl (local.get $i) (i32.const 2))) (i32.eq (local.get $i) (local.get $zero))))
        (local.set $k (i32.mul (local.get $k) (i32.const 0xcc9e2d51)))
        (local.set $k (i32.rotl (local.get $k) (i32.const 15)))
        (local.set $k (i32.mul (local.get $k) (i32.const 0x1b873593)))
        (local.set $h (i32.xor (local.get $h) (local.get $k)))
        (local.set $h (i32.rotl (local.get $h) (i32.const 13)))
        (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 5)) (i32.const 0xe6546b64)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loop)))
    ;; the 1-3 bytes after the last whole word, little-endian
    (local.set $p (local.get $end))
    (block $tail_done
      (loop $tail_loop
        (br_if $tail_done (i32.le_u (local.get $p) (i32.shl (local.get $words) (i32.const 2))))
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (local.set $tail (i32.or (i32.shl (local.get $tail) (i32.const 8)) (i32.load8_u (local.get $p))))
        (br $tail_loop)))
    (if (i32.and (local.get $end) (i32.const 3))
      (then
        (local.set $tail (i32.mul (local.get $tail) (i32.const 0xcc9e2d51)))
        (local.set $tail (i32.rotl (local.get $tail) (i32.const 15)))
        (local.set $h (i32.xor (local.get $h) (i32.mul (local.get $tail) (i32.const 0x1b873593))))))
    ;; finalization
    (local.set $h (i32.xor (local.get $h) (local.get $end)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.get $h)))
