// The storage dtype of a hand-written kernel's tensors, included by shaders/*.comp after
// `#version`: STORAGE_T is the element type of their buffers, LOAD(x) turns an element into
// f32 and STORE(x) an f32 into an element. A variant picks the dtype with
// -DTHUNDER_STORAGE_F16 or -DTHUNDER_STORAGE_BF16 (f32 otherwise). f16 and bf16 are uint16_t
// buffers holding the bits, converted by integer operations: loads are exact, stores round to
// nearest even, as the generated kernels do, whatever the driver's float16 conversions
// would. Both need the device's 16-bit storage feature. The conversions are defined in every
// variant, for kernels that read 16-bit values out of 32-bit words (the attention mask).

#if defined(THUNDER_STORAGE_F16)
#extension GL_EXT_shader_16bit_storage : require
#define STORAGE_T uint16_t
#define LOAD(v) f16_value(uint(v))
#define STORE(x) uint16_t(f16_bits(x))
#elif defined(THUNDER_STORAGE_BF16)
#extension GL_EXT_shader_16bit_storage : require
#define STORAGE_T uint16_t
#define LOAD(v) bf16_value(uint(v))
#define STORE(x) uint16_t(bf16_bits(x))
#else
#define STORAGE_T float
#define LOAD(v) (v)
#define STORE(x) (x)
#endif

// float16 bits -> f32, exactly (subnormals, infinities, NaN).
float f16_value(uint h) {
  const uint sign = (h & 0x8000u) << 16;
  const uint e = (h >> 10) & 0x1Fu;
  const uint m = h & 0x3FFu;
  if (e == 0u) return uintBitsToFloat(floatBitsToUint(ldexp(float(m), -24)) | sign);
  if (e == 31u) return uintBitsToFloat(sign | 0x7F800000u | (m << 13));
  return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));
}
// f32 -> float16 bits, round to nearest even; past 65519 infinity; NaN a quiet NaN.
uint f16_bits(float x) {
  const uint u = floatBitsToUint(x);
  const uint sign = (u >> 16) & 0x8000u;
  const uint a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return sign | 0x7E00u;
  if (a >= 0x477FF000u) return sign | 0x7C00u;
  if (a >= 0x38800000u) {
    const uint r = a - 0x38000000u;
    return sign | ((r + 0xFFFu + ((r >> 13) & 1u)) >> 13);
  }
  return sign | uint(roundEven(uintBitsToFloat(a) * 16777216.0));
}
// bfloat16 bits -> f32, exactly.
float bf16_value(uint h) {
  return uintBitsToFloat(h << 16);
}
// f32 -> bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN.
uint bf16_bits(float x) {
  const uint u = floatBitsToUint(x);
  if (isnan(x)) return (u >> 16) | 0x40u;
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}
