package rsd.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import org.junit.jupiter.api.Test;
import rsd.error.RsdException;
import rsd.testing.FakeTokenizer;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

class PromptsTest {
    @Test
    void completionStartsWithBosAndKeepsSpecialNamesAsText() {
        Tokenizer t = Cl100kVocabulary.tokenizer();
        int[] ids = Prompts.completion(t, "x <|eot_id|>");
        assertThat(ids[0]).isEqualTo(Cl100kVocabulary.BEGIN_OF_TEXT);
        for (int i = 1; i < ids.length; i++) {
            assertThat(t.isSpecial(ids[i])).isFalse();
        }
    }

    @Test
    void chatWrapsOneUserTurnAndEndsAtTheAssistantHeader() {
        Tokenizer t = Cl100kVocabulary.tokenizer();
        int[] ids = Prompts.llama3Chat(t, "Write fib.");
        String text = t.decode(ids);
        assertThat(text).isEqualTo("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWrite fib.<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThatThrownBy(() -> Prompts.llama3Chat(FakeTokenizer.of("a"), "a")).isInstanceOf(RsdException.class);
    }
}
