// Side-by-side: llama.cpp (through node-llama-cpp, a benchmarking peer only) against rsd, same GGUF file,
// plain greedy decoding, same thread count, runs alternating. Usage (from the repository root):
//   npm --prefix bench install
//   node bench/compare.mjs --model FILE [--tokens 128] [--rounds 3] [--threads 2] [--costs] [--repeats 5]
// Prints each run, then the medians: llama.cpp tok/s, rsd tok/s, their ratio, and with --costs the cost of a
// forward over T = 2, 4, 8 tokens relative to one token for both (256 tokens already in the cache).
import {execFileSync} from "node:child_process";
import {dirname, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {existsSync} from "node:fs";
import {getLlama} from "node-llama-cpp";

const args = process.argv.slice(2);
function opt(name, def) {
    const i = args.indexOf("--" + name);
    return i >= 0 ? args[i + 1] : def;
}
const model = opt("model");
if (!model || !existsSync(model)) {
    console.error("compare: --model FILE is required and must exist" + (model ? ": " + model : ""));
    process.exit(2);
}
const tokens = Number(opt("tokens", "128"));
const rounds = Number(opt("rounds", "3"));
const threads = Number(opt("threads", "2"));
const repeats = Number(opt("repeats", "5"));
const costs = args.includes("--costs");
const rsd = resolve(dirname(fileURLToPath(import.meta.url)), "..", "rsd");
const SIZES = [1, 2, 4, 8];
const POSITION = 256;

const median = v => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const lm = await llama.loadModel({modelPath: model, gpuLayers: 0});
const context = await lm.createContext({contextSize: 1024, threads, batchSize: 512, sequences: 1});

async function llamaDecode() {
    const seq = context.getSequence();
    const prompt = [lm.tokens.bos, ...lm.tokenize("hello")].filter(t => t != null);
    const t0 = process.hrtime.bigint();
    let n = 0;
    // greedy, ignoring end-of-generation tokens so that both engines produce exactly `tokens` tokens
    for await (const t of seq.evaluate(prompt, {temperature: 0})) {
        if (++n >= tokens) break;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    seq.dispose();
    return n / s;
}

async function llamaCosts() {
    const seq = context.getSequence();
    const ids = n => Array.from({length: n}, (_, i) => 32 + ((i * 7919) % 90));
    await seq.evaluateWithoutGeneratingNewTokens(ids(POSITION));
    const ms = {};
    for (const T of SIZES) {
        const batch = ids(T);
        await seq.evaluateWithoutGeneratingNewTokens(batch); // warm-up of this size
        await seq.eraseContextTokenRanges([{start: POSITION, end: POSITION + T}]);
        const times = [];
        for (let r = 0; r < repeats; r++) {
            const t0 = process.hrtime.bigint();
            await seq.evaluateWithoutGeneratingNewTokens(batch);
            times.push(Number(process.hrtime.bigint() - t0) / 1e6);
            await seq.eraseContextTokenRanges([{start: POSITION, end: POSITION + T}]);
        }
        ms[T] = median(times);
    }
    seq.dispose();
    return ms;
}

function rsdJson(argv) {
    const out = execFileSync(rsd, argv, {encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26});
    const lines = out.trim().split("\n");
    return JSON.parse(lines[lines.length - 1]);
}

const rsdDecode = () => rsdJson(["generate", "--model", model, "--mode", "standard", "--max-tokens", String(tokens),
    "--prompt", "hello", "--threads", String(threads), "--json"]).tokens_per_second;
const rsdCosts = () => rsdJson(["bench-engine", "--model", model, "--threads", String(threads), "--repeats", String(repeats),
    "--position", String(POSITION), "--bandwidth-mib", "64", "--json", "-"]).forward_ms;

const lt = [], rt = [];
for (let r = 0; r < rounds; r++) {
    // alternate which engine goes first, so that neither always runs on a machine warmed by the other
    if (r % 2 === 0) { lt.push(await llamaDecode()); rt.push(rsdDecode()); }
    else { rt.push(rsdDecode()); lt.push(await llamaDecode()); }
    console.log(`round ${r + 1}: llama.cpp ${lt[r].toFixed(2)} tok/s, rsd ${rt[r].toFixed(2)} tok/s, ratio ${(rt[r] / lt[r]).toFixed(3)}`);
}
const lm_ = median(lt), rm = median(rt);
console.log(`decode (median of ${rounds}, ${tokens} tokens, ${threads} threads): llama.cpp ${lm_.toFixed(2)} tok/s, rsd ${rm.toFixed(2)} tok/s, rsd/llama.cpp ${(rm / lm_).toFixed(3)}x`);

if (costs) {
    const lc = await llamaCosts();
    const rc = rsdCosts();
    const fmt = ms => SIZES.map(T => `T=${T} ${Number(ms[T]).toFixed(1)} ms` + (T > 1 ? ` (${(ms[T] / ms[1]).toFixed(2)})` : "")).join(", ");
    console.log(`llama.cpp forward at position ${POSITION}: ${fmt(lc)}`);
    console.log(`rsd       forward at position ${POSITION}: ${fmt(rc)}`);
    console.log("(llama.cpp computes the logits of the last token of a batch only; rsd computes every token's, as verification needs)");
}
await context.dispose();
await lm.dispose();
