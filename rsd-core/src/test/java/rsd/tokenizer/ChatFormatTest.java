package rsd.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rsd.error.RsdException;
import rsd.tokenizer.ChatFormat.Message;

class ChatFormatTest {
    private final Tokenizer t = Cl100kVocabulary.tokenizer();
    private final ChatFormat chat = new ChatFormat(t);

    @Test
    void dialogPromptIsTheLlama3InstructTemplate() {
        int[] ids = chat.encodeDialogPrompt(List.of(
                new Message("system", "You write Python.\n"),
                new Message("user", "  Sort a list.  ")));
        String rendered = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou write Python.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nSort a list.<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertThat(t.decode(ids)).isEqualTo(rendered);
        // Tokenizing the rendered template with specials allowed gives the same ids (how HF does it).
        assertThat(ids).containsExactly(t.encode(rendered, true));
        assertThat(ids[0]).isEqualTo(Cl100kVocabulary.BEGIN_OF_TEXT);
        assertThat(Arrays.copyOfRange(ids, ids.length - 4, ids.length))
                .containsExactly(Cl100kVocabulary.START_HEADER, t.idOf("assistant"), Cl100kVocabulary.END_HEADER, t.idOf("\n\n"));
    }

    @Test
    void specialTokenNamesInContentStayText() {
        int[] ids = chat.encodeMessage(new Message("user", "print('<|eot_id|>')"));
        long eots = Arrays.stream(ids).filter(id -> id == Cl100kVocabulary.EOT).count();
        assertThat(eots).as("only the closing <|eot_id|> is the special token").isEqualTo(1);
        assertThat(ids[ids.length - 1]).isEqualTo(Cl100kVocabulary.EOT);
        assertThat(chat.endOfTurn()).isEqualTo(Cl100kVocabulary.EOT);
        assertThat(t.decode(ids)).endsWith("\n\nprint('<|eot_id|>')<|eot_id|>");
    }

    @Test
    void headerAlone() {
        assertThat(t.decode(chat.encodeHeader(new Message("user", "")))).isEqualTo("<|start_header_id|>user<|end_header_id|>\n\n");
    }

    @Test
    void vocabularyWithoutChatTokensIsRejected() {
        Map<String, Object> md = BpeTokenizerTest.tiny(List.of(), List.of());
        Tokenizer tiny = Tokenizers.fromMetadata(md, "tiny");
        assertThatThrownBy(() -> new ChatFormat(tiny)).isInstanceOf(RsdException.class)
                .hasMessageContaining("<|start_header_id|>");
        assertThatThrownBy(() -> new Message(" ", "x")).isInstanceOf(RsdException.class);
    }
}
