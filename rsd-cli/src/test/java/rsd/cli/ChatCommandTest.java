package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.LoadedModel;
import rsd.ModeResources;
import rsd.Modes;
import rsd.decode.Decoder;
import rsd.decode.GenerationSettings;
import rsd.model.TestModels;
import rsd.tokenizer.ChatFormat;
import rsd.tokenizer.ChatTemplate;
import rsd.tokenizer.Cl100kVocabulary;

/** rsd chat: every answer is what standard greedy decoding gives for the whole conversation so far. */
class ChatCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void makeModel() {
        int vocabulary = ((List<?>) Cl100kVocabulary.metadata().get("tokenizer.ggml.tokens")).size();
        model = TestModels.writeRandomLlama(dir, TestModels.tiny().withShape(64, 2, 4, 2, 128, vocabulary).withTied(true),
                Cl100kVocabulary.metadata());
    }

    private static CliTest.Outcome chat(String input, String... args) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            ChatCommand c = new ChatCommand(CliTest.OPENER);
            c.terminalOverride = false;
            return CliTest.run(c, args);
        } finally {
            System.setIn(old);
        }
    }

    /** Standard greedy decoding of the dialog, as the reference. */
    private static String reference(List<ChatFormat.Message> dialog, int tokens) {
        try (LoadedModel loaded = LoadedModel.open(model, 1, 512);
             Decoder standard = Modes.decoder(Modes.STANDARD, ModeResources.of(loaded.model(), loaded.tokenizer()))) {
            int[] ids = new ChatFormat(loaded.tokenizer()).encodeDialogPrompt(dialog);
            return standard.generate(ids, GenerationSettings.greedy(tokens), null, () -> false).text();
        }
    }

    @Test
    void eachAnswerContinuesTheWholeConversation() {
        CliTest.Outcome o = chat("Write add.\n\n/help\nNow subtract.\n/exit\nnever read\n", "-m", model.toString(), "-t", "1",
                "-c", "512", "-n", "6", "--system", "Be brief.", "--mode", "lookup");
        assertThat(o.code()).as(o.err()).isZero();
        List<ChatFormat.Message> dialog = new ArrayList<>();
        dialog.add(new ChatFormat.Message("system", "Be brief."));
        dialog.add(new ChatFormat.Message("user", "Write add."));
        String first = reference(dialog, 6);
        dialog.add(new ChatFormat.Message("assistant", first));
        dialog.add(new ChatFormat.Message("user", "Now subtract."));
        String second = reference(dialog, 6);
        assertThat(o.out()).isEqualTo(line(first) + line(second));
        assertThat(o.err()).contains("unknown command /help");
    }

    @Test
    void endOfInputEndsTheChatAndAMessageTooLongIsSkipped() {
        CliTest.Outcome o = chat("x ".repeat(200) + "\nhi", "-m", model.toString(), "-t", "1", "-c", "64", "-n", "4",
                "--mode", "standard");
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.err()).contains("no room for it");
        assertThat(o.out()).isEqualTo(line(reference(List.of(new ChatFormat.Message("user", "hi")), 4)));
    }

    @Test
    void aModelWithoutChatTokensIsOneLineAndExitTwo() {
        Path plain;
        try (LoadedModel m = rsd.testing.TestTarget.randomModel(dir, 9)) {
            plain = m.path();
        }
        CliTest.Outcome o = chat("hi\n", "-m", plain.toString(), "-t", "1");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().strip()).contains("chat format").doesNotContain("\n");
    }

    private static String resource(String name) throws java.io.IOException {
        try (InputStream in = ChatCommandTest.class.getResourceAsStream("/chat-templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Standard greedy decoding of the dialog formatted by this template. */
    private static String reference(ChatTemplateSource template, List<ChatFormat.Message> dialog, int tokens) {
        try (LoadedModel loaded = LoadedModel.open(model, 1, 512);
             Decoder standard = Modes.decoder(Modes.STANDARD, ModeResources.of(loaded.model(), loaded.tokenizer()))) {
            int[] ids = template.open(loaded).encodeDialogPrompt(dialog);
            return standard.generate(ids, GenerationSettings.greedy(tokens), null, () -> false).text();
        }
    }

    interface ChatTemplateSource {
        ChatTemplate open(LoadedModel loaded);
    }

    @Test
    void aChatTemplateFileFormatsTheConversation() throws Exception {
        Path file = dir.resolve("llama-3.1.jinja");
        Files.writeString(file, resource("llama-3.1-8b-instruct.jinja"));
        for (String option : new String[] {"--chat-template", "--chat-template-file"}) {
            CliTest.Outcome o = chat("Write add.\n", "-m", model.toString(), "-t", "1", "-c", "512", "-n", "5",
                    "--system", "Be brief.", "--mode", "standard", option, file.toString());
            assertThat(o.code()).as(o.err()).isZero();
            List<ChatFormat.Message> dialog = List.of(new ChatFormat.Message("system", "Be brief."),
                    new ChatFormat.Message("user", "Write add."));
            String expected = reference(loaded -> ChatTemplate.fromFile(loaded.tokenizer(), file), dialog, 5);
            assertThat(o.out()).isEqualTo(line(expected));
            // The 3.1 template's prompt is not the built-in one (it dates the system turn), so the check means something.
            try (LoadedModel loaded = LoadedModel.open(model, 1, 512)) {
                assertThat(ChatTemplate.fromFile(loaded.tokenizer(), file).encodeDialogPrompt(dialog))
                        .isNotEqualTo(ChatTemplate.builtIn(loaded.tokenizer()).encodeDialogPrompt(dialog));
            }
        }
    }

    @Test
    void theModelsOwnTemplateIsUsedWithoutAnOption() throws Exception {
        java.util.Map<String, Object> md = new java.util.HashMap<>(Cl100kVocabulary.metadata());
        String template = "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n"
                + "{{ m.content }}<|eot_id|>{% endfor %}<|start_header_id|>assistant<|end_header_id|>\n";
        md.put(ChatTemplate.METADATA_KEY, template);
        int vocabulary = ((List<?>) md.get("tokenizer.ggml.tokens")).size();
        Path own = TestModels.writeRandomLlama(dir, TestModels.tiny().withShape(64, 2, 4, 2, 128, vocabulary)
                .withTied(true), md);
        CliTest.Outcome o = chat("hi\n", "-m", own.toString(), "-t", "1", "-c", "512", "-n", "4", "--mode", "standard");
        assertThat(o.code()).as(o.err()).isZero();
        try (LoadedModel loaded = LoadedModel.open(own, 1, 512);
             Decoder standard = Modes.decoder(Modes.STANDARD, ModeResources.of(loaded.model(), loaded.tokenizer()))) {
            assertThat(loaded.hasOwnChatTemplate()).isTrue();
            int[] ids = loaded.tokenizer().encode("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nhi<|eot_id|>"
                    + "<|start_header_id|>assistant<|end_header_id|>\n", true);
            assertThat(loaded.chatTemplate().encodeDialogPrompt(List.of(new ChatFormat.Message("user", "hi")))).containsExactly(ids);
            assertThat(o.out()).isEqualTo(line(standard.generate(ids, GenerationSettings.greedy(4), null, () -> false).text()));
        }
    }

    @Test
    void aChatTemplateThatDoesNotParseOrIsMissingIsOneLineAndExitTwo() throws Exception {
        Path broken = dir.resolve("broken.jinja");
        Files.writeString(broken, "{% for m in messages %}{{ m.content }}");
        CliTest.Outcome o = chat("hi\n", "-m", model.toString(), "-t", "1", "--chat-template", broken.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().strip()).startsWith("rsd: chat template " + broken + ": the chat template does not parse: ")
                .contains("endfor").doesNotContain("\n");
        CliTest.Outcome missing = chat("hi\n", "-m", model.toString(), "-t", "1", "--chat-template", dir.resolve("no.jinja").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().strip()).contains("--chat-template " + dir.resolve("no.jinja") + " not found").doesNotContain("\n");
    }

    private static String line(String answer) {
        return answer.endsWith("\n") ? answer : answer + "\n";
    }
}
