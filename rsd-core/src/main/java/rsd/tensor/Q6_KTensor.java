package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import rsd.gguf.GgmlType;

/**
 * Super-blocks of 256 weights (210 bytes): 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 signed
 * 8-bit scales, f16 d. Each half of 128 weights takes 64 ql bytes and 32 qh bytes: for l < 32, weights
 * l, l+32, l+64, l+96 combine the low/high nibbles of ql[l] and ql[l+32] with bit pairs 0, 2, 4, 6 of qh[l];
 * weight = d * scale[l/16 + 2*quarter] * (q - 32).
 */
final class Q6_KTensor extends Tensor {
    static final int BLOCK = 256;
    static final int BYTES = 210;
    private static final ThreadLocal<float[]> BLOCK_BUFFER = ThreadLocal.withInitial(() -> new float[BLOCK]);

    Q6_KTensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    private int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    @Override
    public float get(long index) {
        long block = index / BLOCK * BYTES;
        int i = (int) (index % BLOCK);
        int half = i / 128;
        int quarter = (i % 128) / 32;
        int l = i % 32;
        long ql = block + 64L * half;
        long qh = block + 128 + 32L * half;
        int lowByte = u8(ql + l + ((quarter & 1) == 1 ? 32 : 0));
        int low = quarter < 2 ? lowByte & 15 : lowByte >>> 4;
        int high = (u8(qh + l) >>> (2 * quarter)) & 3;
        int scale = data.get(ValueLayout.JAVA_BYTE, block + 192 + 8 * half + l / 16 + 2 * quarter);
        return Kernels.half(data, block + 208) * scale * ((low | high << 4) - 32);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        for (int k = 0; k < n; k += BLOCK) {
            long block = (from + k) / BLOCK * BYTES;
            float d = Kernels.half(data, block + 208);
            for (int half = 0; half < 2; half++) {
                long ql = block + 64L * half;
                long qh = block + 128 + 32L * half;
                // this half's 8 signed scales in one read (a checked segment access per byte costs more)
                long sc = data.get(Kernels.LONG_LE, block + 192 + 8L * half);
                int o = off + k + 128 * half;
                if (Kernels.VECTOR && Kernels.L <= 16) {
                    for (int l = 0; l < 32; l += Kernels.L) {
                        ByteVector lo0 = ByteVector.fromMemorySegment(Kernels.B, data, ql + l, Kernels.LE);
                        ByteVector lo32 = ByteVector.fromMemorySegment(Kernels.B, data, ql + 32 + l, Kernels.LE);
                        ByteVector hi = ByteVector.fromMemorySegment(Kernels.B, data, qh + l, Kernels.LE);
                        ByteVector q1 = lo0.and((byte) 15).or(hi.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                        ByteVector q2 = lo32.and((byte) 15).or(hi.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                        ByteVector q3 = lo0.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                        ByteVector q4 = lo32.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4));
                        int is = l / 16;
                        store(q1, d * (byte) (sc >>> (8 * is)), out, o + l);
                        store(q2, d * (byte) (sc >>> (8 * (is + 2))), out, o + 32 + l);
                        store(q3, d * (byte) (sc >>> (8 * (is + 4))), out, o + 64 + l);
                        store(q4, d * (byte) (sc >>> (8 * (is + 6))), out, o + 96 + l);
                    }
                } else {
                    for (int i = 0; i < 128; i++) {
                        out[o + i] = get(from + k + 128L * half + i);
                    }
                }
            }
        }
    }

    private static void store(ByteVector q, float scale, float[] out, int at) {
        ((jdk.incubator.vector.FloatVector) q.sub((byte) 32).convertShape(VectorOperators.B2F, Kernels.F, 0)).mul(scale).intoArray(out, at);
    }
}
