/**
 * A character-level transformer (a tiny GPT) trained on six of Shakespeare's sonnets (public
 * domain, examples/data/sonnets.txt): token and position embeddings, blocks of causal
 * self-attention and an MLP with LayerNorm and residuals, AdamW with a linear warm-up into cosine
 * decay, and gradient clipping. It samples text at the end.
 *
 *   npx gradlens trace examples/tiny-gpt.ts --out gpt.html   → the loss, per-layer gradient norms (500 steps, about a minute)
 *   npx gradlens trace examples/tiny-gpt.ts --steps 100       → a shorter run
 *   node -r ./test/support/register.cjs examples/tiny-gpt.ts   → training log and a sample
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { manualSeed, nn, noGrad, optim, randint, stack, tensor, Tensor } from "gradlens";

const F = nn.functional;

export interface GptConfig { vocabSize: number; blockSize: number; embed: number; heads: number; layers: number; dropout: number }

class CausalSelfAttention extends nn.Module {
  qkv: nn.Linear;
  proj: nn.Linear;
  constructor(readonly config: GptConfig) {
    super();
    this.qkv = new nn.Linear(config.embed, 3 * config.embed);
    this.proj = new nn.Linear(config.embed, config.embed);
  }
  override forward(x: Tensor): Tensor {
    const [b, t, c] = x.shape;
    const h = this.config.heads;
    // [B, T, 3C] → three [B, H, T, C/H]
    const [q, k, v] = this.qkv.forward(x).chunk(3, -1).map((z) => z.reshape(b, t, h, c / h).transpose(1, 2));
    const y = F.scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: this.training ? this.config.dropout : 0 });
    return this.proj.forward(y.transpose(1, 2).reshape(b, t, c));
  }
}

class Block extends nn.Module {
  ln1: nn.LayerNorm;
  attn: CausalSelfAttention;
  ln2: nn.LayerNorm;
  mlp: nn.Sequential;
  constructor(config: GptConfig) {
    super();
    this.ln1 = new nn.LayerNorm(config.embed);
    this.attn = new CausalSelfAttention(config);
    this.ln2 = new nn.LayerNorm(config.embed);
    this.mlp = new nn.Sequential(new nn.Linear(config.embed, 4 * config.embed), new nn.GELU(), new nn.Linear(4 * config.embed, config.embed), new nn.Dropout(config.dropout));
  }
  override forward(x: Tensor): Tensor {
    const y = x.add(this.attn.forward(this.ln1.forward(x)));
    return y.add(this.mlp.forward(this.ln2.forward(y)));
  }
}

export class TinyGPT extends nn.Module {
  tokens: nn.Embedding;
  positions: nn.Embedding;
  blocks: nn.ModuleList;
  lnF: nn.LayerNorm;
  head: nn.Linear;
  constructor(readonly config: GptConfig) {
    super();
    this.tokens = new nn.Embedding(config.vocabSize, config.embed);
    this.positions = new nn.Embedding(config.blockSize, config.embed);
    this.blocks = new nn.ModuleList(Array.from({ length: config.layers }, () => new Block(config)));
    this.lnF = new nn.LayerNorm(config.embed);
    this.head = new nn.Linear(config.embed, config.vocabSize);
    // GPT-2's initialisation: small normal weights keep the first losses near ln(vocabulary).
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith("weight") && p.ndim === 2) nn.init.normal_(p, 0, 0.02);
      else if (name.endsWith("bias")) nn.init.zeros_(p);
    }
  }
  /** Token ids [B, T] → logits [B, T, vocabulary]. */
  override forward(ids: Tensor): Tensor {
    const t = ids.shape[1];
    let x = this.tokens.forward(ids).add(this.positions.forward(tensor(Array.from({ length: t }, (_, i) => i))));
    for (const block of this.blocks) x = block.forward(x);
    return this.head.forward(this.lnF.forward(x));
  }

  /** Continues `ids` by `count` characters, sampling from softmax(logits / temperature). */
  generate(ids: number[], count: number, temperature = 0.8): number[] {
    const out = [...ids];
    this.eval();
    noGrad(() => {
      for (let i = 0; i < count; i++) {
        const context = out.slice(-this.config.blockSize);
        const logits = this.forward(tensor([context])).select(1, context.length - 1).div(temperature);
        out.push(logits.softmax(-1).multinomial(1).item());
      }
    });
    this.train();
    return out;
  }
}

export function loadText(): string {
  return fs.readFileSync(path.join(__dirname, "data", "sonnets.txt"), "utf8");
}

export interface GptRun { losses: number[]; lrs: number[]; sample: string; vocabulary: string[]; model: TinyGPT }

/** Trains for `steps` batches of random windows of the text, then samples. */
export function trainGpt(options: { steps?: number; batchSize?: number; seed?: number; sampleLength?: number; log?: (line: string) => void } = {}): GptRun {
  const { steps = 500, batchSize = 16, seed = 0, sampleLength = 240, log } = options;
  manualSeed(seed);
  const text = loadText();
  const vocabulary = [...new Set(text)].sort();
  const index = new Map(vocabulary.map((ch, i) => [ch, i]));
  const data = [...text].map((ch) => index.get(ch)!);
  const config: GptConfig = { vocabSize: vocabulary.length, blockSize: 48, embed: 64, heads: 4, layers: 2, dropout: 0.1 };
  const model = new TinyGPT(config);
  const optimizer = new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.05, betas: [0.9, 0.95] });
  const warmup = Math.max(1, Math.round(steps / 10));
  const { LinearLR, CosineAnnealingLR, SequentialLR } = optim.lrScheduler;
  const schedule = new SequentialLR(optimizer, {
    schedulers: [new LinearLR(optimizer, { startFactor: 0.05, totalIters: warmup }), new CosineAnnealingLR(optimizer, { TMax: steps - warmup, etaMin: 1e-4 })],
    milestones: [warmup],
  });
  const windows = (starts: Tensor, offset: number) => stack(Array.from(starts.data, (s) => tensor(data.slice(s + offset, s + offset + config.blockSize))));
  const losses: number[] = [], lrs: number[] = [];
  for (let step = 0; step < steps; step++) {
    const starts = randint(0, data.length - config.blockSize - 1, [batchSize]);
    const x = windows(starts, 0), y = windows(starts, 1);
    optimizer.zeroGrad();
    const logits = model.forward(x);
    const loss = F.crossEntropy(logits.reshape(-1, config.vocabSize), y.reshape(-1));
    loss.backward();
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    optimizer.step();
    lrs.push(optimizer.paramGroups[0].lr);
    schedule.step();
    losses.push(loss.item());
    if (log && (step % 50 === 0 || step === steps - 1)) log(`step ${String(step).padStart(4)}  loss ${loss.item().toFixed(3)}  lr ${lrs[step].toExponential(2)}`);
  }
  const prompt = [..."Shall I "].map((ch) => index.get(ch)!);
  const sample = model.generate(prompt, sampleLength).map((i) => vocabulary[i]).join("");
  return { losses, lrs, sample, vocabulary, model };
}

/** `--steps N` on the command line (gradlens trace examples/tiny-gpt.ts --steps 100). */
function stepsFromArgs(): number | undefined {
  const i = process.argv.indexOf("--steps");
  const n = i >= 0 ? Number(process.argv[i + 1]) : undefined;
  if (n !== undefined && !(Number.isInteger(n) && n > 1)) throw new Error(`--steps must be an integer above 1, got ${process.argv[i + 1]}`);
  return n;
}

if (require.main === module) {
  const run = trainGpt({ steps: stepsFromArgs(), log: console.log });
  console.log(`\nsample:\n${run.sample}`);
}
