package rsd.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.error.RsdException;

class GgufFileTest {
    @TempDir
    Path dir;

    /** A small file exercising every value type, string arrays, a custom alignment and two tensors. */
    static Path writeSample(Path file, int alignment) {
        try (GgufWriter w = GgufWriter.create(file)) {
            w.alignment(alignment);
            w.put("general.architecture", "llama");
            w.put("k.u8", GgufValueType.UINT8, 200);
            w.put("k.i8", GgufValueType.INT8, -5);
            w.put("k.u16", GgufValueType.UINT16, 60000);
            w.put("k.i16", GgufValueType.INT16, -30000);
            w.putUInt32("k.u32", 4_000_000_000L);
            w.put("k.i32", -123456);
            w.put("k.f32", 1.5f);
            w.put("k.bool", true);
            w.put("k.u64", GgufValueType.UINT64, 1L << 40);
            w.put("k.i64", -(1L << 40));
            w.put("k.f64", 2.25);
            w.putArray("k.strings", GgufValueType.STRING, List.of("a", "ĠGPT", "<|reserved_0|>", ""));
            w.putArray("k.ints", GgufValueType.INT32, List.of(1, -2, 3));
            w.putArray("k.floats", GgufValueType.FLOAT32, List.of(0.5f, -1f));
            w.addTensor("a", GgmlType.F32, 3, 2);
            w.addTensor("b", GgmlType.Q8_0, 32);
            byte[] a = new byte[24];
            ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(new float[] {1, 2, 3, 4, 5, 6});
            w.writeTensorData(a);
            byte[] b = new byte[34];
            for (int i = 0; i < 34; i++) {
                b[i] = (byte) i;
            }
            w.writeTensorData(b, 0, 10);
            w.writeTensorData(b, 10, 24);
        }
        return file;
    }

    @Test
    void roundTripsEveryValueTypeAndTensors() {
        Path f = writeSample(dir.resolve("s.gguf"), 64);
        try (GgufFile g = GgufFile.open(f)) {
            Map<String, Object> m = g.metadata();
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.alignment()).isEqualTo(64);
            assertThat(m.get("general.alignment")).isEqualTo(64L);
            assertThat(m.get("k.u8")).isEqualTo(200);
            assertThat(m.get("k.i8")).isEqualTo(-5);
            assertThat(m.get("k.u16")).isEqualTo(60000);
            assertThat(m.get("k.i16")).isEqualTo(-30000);
            assertThat(m.get("k.u32")).isEqualTo(4_000_000_000L);
            assertThat(m.get("k.i32")).isEqualTo(-123456);
            assertThat(m.get("k.f32")).isEqualTo(1.5f);
            assertThat(m.get("k.bool")).isEqualTo(true);
            assertThat(m.get("k.u64")).isEqualTo(1L << 40);
            assertThat(m.get("k.i64")).isEqualTo(-(1L << 40));
            assertThat(m.get("k.f64")).isEqualTo(2.25);
            assertThat(m.get("k.strings")).isEqualTo(List.of("a", "ĠGPT", "<|reserved_0|>", ""));
            assertThat(m.get("k.ints")).isEqualTo(List.of(1, -2, 3));
            assertThat(m.get("k.floats")).isEqualTo(List.of(0.5f, -1f));
            assertThat(g.valueType("k.u32")).isEqualTo(GgufValueType.UINT32);
            assertThat(g.arrayElementType("k.strings")).isEqualTo(GgufValueType.STRING);
            assertThat(g.getString("general.architecture")).isEqualTo("llama");
            assertThat(g.getInt("k.i32")).isEqualTo(-123456);
            assertThat(g.getDouble("k.f32", 0)).isEqualTo(1.5);

            assertThat(g.tensors()).extracting(GgufTensorInfo::name).containsExactly("a", "b");
            GgufTensorInfo a = g.tensor("a");
            assertThat(a.dims()).containsExactly(3, 2);
            assertThat(a.type()).isEqualTo(GgmlType.F32);
            assertThat(g.dataOffset() % 64).isZero();
            assertThat(g.data(a).getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 5)).isEqualTo(6f);
            GgufTensorInfo b = g.tensor("b");
            assertThat(b.offset()).isEqualTo(64);
            assertThat(g.data(b).get(ValueLayout.JAVA_BYTE, 33)).isEqualTo((byte) 33);
        }
    }

    @Test
    void readsVersion2() throws IOException {
        Path f = writeSample(dir.resolve("v2.gguf"), 32);
        byte[] bytes = Files.readAllBytes(f);
        bytes[4] = 2; // v2 and v3 share the little-endian layout
        Files.write(f, bytes);
        try (GgufFile g = GgufFile.open(f)) {
            assertThat(g.version()).isEqualTo(2);
            assertThat(g.metadata().get("k.strings")).isEqualTo(List.of("a", "ĠGPT", "<|reserved_0|>", ""));
        }
    }

    @Test
    void loadsVocabOnlyFile() {
        Path f = dir.resolve("vocab.gguf");
        try (GgufWriter w = GgufWriter.create(f)) {
            w.put("tokenizer.ggml.model", "gpt2");
            w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, List.of("a", "b"));
        }
        try (GgufFile g = GgufFile.open(f)) {
            assertThat(g.tensors()).isEmpty();
            assertThat(g.getList("tokenizer.ggml.tokens")).hasSize(2);
        }
    }

    @Test
    void copiesMetadataWithTypes() {
        Path f = writeSample(dir.resolve("s.gguf"), 32);
        Path g2 = dir.resolve("copy.gguf");
        try (GgufFile g = GgufFile.open(f); GgufWriter w = GgufWriter.create(g2)) {
            w.putAll(g);
        }
        try (GgufFile a = GgufFile.open(f); GgufFile b = GgufFile.open(g2)) {
            assertThat(b.metadata()).isEqualTo(a.metadata());
            for (String k : a.metadata().keySet()) {
                assertThat(b.valueType(k)).as(k).isEqualTo(a.valueType(k));
            }
        }
    }

    @Test
    void rejectsWrongMagic() throws IOException {
        Path f = dir.resolve("x.gguf");
        Files.write(f, "this is not a gguf file at all, sorry".getBytes());
        assertThatThrownBy(() -> GgufFile.open(f)).isInstanceOf(RsdException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("wrong magic");
    }

    @Test
    void rejectsMissingAndEmptyFiles() throws IOException {
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("nope.gguf"))).isInstanceOf(RsdException.class)
                .hasMessageContaining("no such file");
        Path empty = Files.write(dir.resolve("empty.gguf"), new byte[0]);
        assertThatThrownBy(() -> GgufFile.open(empty)).isInstanceOf(RsdException.class).hasMessageContaining("truncated");
    }

    @Test
    void rejectsTensorDataPastEnd() throws IOException {
        Path f = writeSample(dir.resolve("s.gguf"), 32);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertThatThrownBy(() -> GgufFile.open(f)).isInstanceOf(RsdException.class)
                .hasMessageContaining("tensor 'b' data ends at byte").hasMessageContaining("past the end");
    }

    @Test
    void rejectsTruncatedHeader() throws IOException {
        Path f = writeSample(dir.resolve("s.gguf"), 32);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(bytes, 100));
        assertThatThrownBy(() -> GgufFile.open(f)).isInstanceOf(RsdException.class).hasMessageContaining("truncated file");
    }

    @Test
    void rejectsUnknownTensorType() throws IOException {
        Path f = dir.resolve("t.gguf");
        try (GgufWriter w = GgufWriter.create(f)) {
            w.addTensor("weird", GgmlType.F32, 4);
            w.writeTensorData(new byte[16]);
        }
        byte[] bytes = Files.readAllBytes(f);
        // header: magic, version, counts (24 bytes), name (8 + 5), n_dims (4), dim (8), then the type id
        int typeAt = 24 + 8 + 5 + 4 + 8;
        assertThat(bytes[typeAt]).isEqualTo((byte) 0);
        bytes[typeAt] = 99;
        Files.write(f, bytes);
        assertThatThrownBy(() -> GgufFile.open(f)).isInstanceOf(RsdException.class)
                .hasMessageContaining("unknown tensor type 99");
    }

    @Test
    void rejectsUnsupportedVersion() throws IOException {
        Path f = writeSample(dir.resolve("s.gguf"), 32);
        byte[] bytes = Files.readAllBytes(f);
        bytes[4] = 1;
        Files.write(f, bytes);
        assertThatThrownBy(() -> GgufFile.open(f)).isInstanceOf(RsdException.class).hasMessageContaining("unsupported GGUF version 1");
    }
}
