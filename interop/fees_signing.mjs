#!/usr/bin/env node
// Fees, the pending block and signing, as ethers v6 and viem use them, against an
// Ethereum dev node (chain id 31337, the usual dev accounts, unlocked).
//
//   node interop/fees_signing.mjs --http http://127.0.0.1:8545 [--ws ws://127.0.0.1:8545]
//
// Each check prints "ok <client> <transport> <check>" or "FAIL ...: <details>"; the last
// line is "PASSED: N ok, 0 failed" or "FAILED: ..."; the exit code is 1 on any failure.
//
// What is checked:
//   viem   eth_feeHistory through getFeeHistory (latest and pending), estimateFeesPerGas,
//          a default EIP-1559 send from a local account (fees filled by viem), the pending
//          block, personal_sign and eth_signTypedData_v4 through a JSON-RPC account
//          (signatures recovered to the account).
//   ethers getFeeData, a default EIP-1559 send from a Wallet, eth_feeHistory through
//          provider.send, the pending block, JsonRpcSigner.signMessage (personal_sign)
//          and signTypedData (eth_signTypedData_v4), recovered to the signer.

import * as ethers from 'ethers';
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
  recoverMessageAddress,
  recoverTypedDataAddress,
  webSocket,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const CHAIN_ID = 31337;
const PK1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const ACCOUNT1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const ACCOUNT2 = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const ACCOUNT3 = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';

const TYPED = {
  domain: { name: 'Ether Mail', version: '1', chainId: CHAIN_ID, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  types: {
    Person: [{ name: 'name', type: 'string' }, { name: 'wallets', type: 'address[]' }],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person[]' },
      { name: 'contents', type: 'string' },
      { name: 'amount', type: 'uint256' },
    ],
  },
  primaryType: 'Mail',
  message: {
    from: { name: 'Cow', wallets: ['0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826'] },
    to: [{ name: 'Bob', wallets: ['0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB'] }],
    contents: 'Hello, Bob!',
    amount: 123456789012345678901234567890n,
  },
};

function parseArgs(argv) {
  const opts = { timeout: 20000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--http') opts.http = argv[++i];
    else if (a === '--ws') opts.ws = argv[++i];
    else if (a === '--timeout') opts.timeout = Number(argv[++i]);
    else { console.error(`unknown argument ${a}`); process.exit(2); }
  }
  if (!opts.http && !opts.ws) { console.error('give --http and/or --ws'); process.exit(2); }
  return opts;
}

const OPTS = parseArgs(process.argv.slice(2));
let passes = 0;
let failures = 0;

class CheckFailed extends Error {}
function assert(cond, msg) { if (!cond) throw new CheckFailed(msg); }
function fmt(v) { return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)); }
function eq(actual, expected, what) {
  assert(actual === expected, `${what}: expected ${fmt(expected)}, got ${fmt(actual)}`);
}

async function check(client, transport, name, fn) {
  const label = `${client} ${transport} ${name}`;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`timed out after ${OPTS.timeout} ms`)), OPTS.timeout);
  });
  try {
    await Promise.race([Promise.resolve().then(fn), timeout]);
    passes++;
    console.log(`ok ${label}`);
  } catch (e) {
    failures++;
    const detail = e instanceof CheckFailed ? e.message : (e?.shortMessage || e?.message || String(e));
    console.log(`FAIL ${label}: ${String(detail).replace(/\s+/g, ' ')}`);
  } finally {
    clearTimeout(timer);
  }
}

// The shape geth gives a fee history of `count` blocks with `percentiles`.
function checkHistory(history, count, percentiles) {
  eq(history.baseFeePerGas.length, count + 1, 'baseFeePerGas length (the next block included)');
  eq(history.gasUsedRatio.length, count, 'gasUsedRatio length');
  eq(history.reward.length, count, 'reward rows');
  for (const row of history.reward) eq(row.length, percentiles.length, 'reward row length');
  for (const ratio of history.gasUsedRatio) assert(ratio >= 0 && ratio <= 1, `ratio ${ratio}`);
}

// -- viem -----------------------------------------------------------------------------

const chain = defineChain({
  id: CHAIN_ID,
  name: 'dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [OPTS.http ?? 'http://127.0.0.1:8545'] } },
});

async function runViem(T) {
  const C = 'viem';
  const transport = T === 'http' ? http(OPTS.http, { retryCount: 0 }) : webSocket(OPTS.ws, { retryCount: 0 });
  const pub = createPublicClient({ chain, transport, cacheTime: 0 });
  const local = createWalletClient({ chain, transport, account: privateKeyToAccount(PK1) });
  const node = createWalletClient({ chain, transport, account: ACCOUNT2 });

  await check(C, T, 'fee-history', async () => {
    const head = await pub.getBlockNumber();
    const history = await pub.getFeeHistory({ blockCount: 4, rewardPercentiles: [25, 75] });
    const count = Number(head + 1n < 4n ? head + 1n : 4n);
    checkHistory(history, count, [25, 75]);
    eq(history.oldestBlock, head + 1n - BigInt(count), 'oldestBlock');
    const latest = await pub.getBlock({ blockNumber: head });
    eq(history.baseFeePerGas[count - 1], latest.baseFeePerGas, 'newest base fee');
  });

  await check(C, T, 'fee-history-pending', async () => {
    const head = await pub.getBlockNumber();
    const history = await pub.getFeeHistory({ blockCount: 2, blockTag: 'pending', rewardPercentiles: [50] });
    eq(history.oldestBlock, head, 'oldestBlock (the head, then the pending block)');
    checkHistory(history, 2, [50]);
  });

  await check(C, T, 'estimate-fees', async () => {
    const fees = await pub.estimateFeesPerGas();
    const block = await pub.getBlock();
    eq(fees.maxPriorityFeePerGas, 1_000_000_000n, 'maxPriorityFeePerGas (eth_maxPriorityFeePerGas)');
    assert(fees.maxFeePerGas > block.baseFeePerGas, `maxFeePerGas ${fees.maxFeePerGas}`);
  });

  await check(C, T, 'send-eip1559-default-fees', async () => {
    const before = await pub.getBalance({ address: ACCOUNT3 });
    const hash = await local.sendTransaction({ to: ACCOUNT3, value: parseEther('0.001') });
    const receipt = await pub.waitForTransactionReceipt({ hash, pollingInterval: 100 });
    eq(receipt.status, 'success', 'status');
    eq(receipt.type, 'eip1559', 'receipt type');
    const tx = await pub.getTransaction({ hash });
    assert(tx.maxFeePerGas >= tx.maxPriorityFeePerGas, 'fee cap covers the tip');
    eq(await pub.getBalance({ address: ACCOUNT3 }) - before, parseEther('0.001'), 'received');
  });

  await check(C, T, 'pending-block', async () => {
    const head = await pub.getBlock();
    const pending = await pub.getBlock({ blockTag: 'pending' });
    eq(pending.number, head.number + 1n, 'number');
    eq(pending.hash, null, 'hash');
    eq(pending.nonce, null, 'nonce');
    eq(pending.parentHash, head.hash, 'parentHash');
    const raw = await pub.request({ method: 'eth_getBlockByNumber', params: ['pending', false] });
    eq(BigInt(raw.number), head.number + 1n, 'raw number');
    eq(raw.miner, null, 'miner');
  });

  await check(C, T, 'sign-message-jsonrpc-account', async () => {
    const signature = await node.signMessage({ message: 'hello from viem' });
    const recovered = await recoverMessageAddress({ message: 'hello from viem', signature });
    eq(recovered, ACCOUNT2, 'recovered signer');
  });

  await check(C, T, 'sign-typed-data-jsonrpc-account', async () => {
    const signature = await node.signTypedData(TYPED);
    const recovered = await recoverTypedDataAddress({ ...TYPED, signature });
    eq(recovered, ACCOUNT2, 'recovered signer');
    const locally = await privateKeyToAccount(PK1).signTypedData(TYPED);
    const byNode = await createWalletClient({ chain, transport, account: ACCOUNT1 }).signTypedData(TYPED);
    eq(byNode, locally, 'node signature equals the local key\'s');
  });

  if (T !== 'http') {
    try { (await transport({}).value.getRpcClient()).close(); } catch { /* ignore */ }
  }
}

// -- ethers -----------------------------------------------------------------------------

async function runEthers(T) {
  const C = 'ethers';
  const opts = { pollingInterval: 100, cacheTimeout: -1 };
  const provider = T === 'http'
    ? new ethers.JsonRpcProvider(OPTS.http, undefined, opts)
    : new ethers.WebSocketProvider(OPTS.ws, undefined, opts);
  try {
    const wallet = new ethers.Wallet(PK1, provider);

    await check(C, T, 'fee-data', async () => {
      const data = await provider.getFeeData();
      const block = await provider.getBlock('latest');
      eq(data.maxPriorityFeePerGas, 1_000_000_000n, 'maxPriorityFeePerGas');
      eq(data.maxFeePerGas, 2n * block.baseFeePerGas + data.maxPriorityFeePerGas, 'maxFeePerGas');
      eq(data.gasPrice, block.baseFeePerGas + 1_000_000_000n, 'gasPrice (eth_gasPrice)');
    });

    await check(C, T, 'fee-history', async () => {
      const history = await provider.send('eth_feeHistory', ['0x3', 'latest', [10, 90]]);
      checkHistory(history, Math.min(3, (await provider.getBlockNumber()) + 1), [10, 90]);
      assert(Array.isArray(history.baseFeePerBlobGas), 'baseFeePerBlobGas');
    });

    await check(C, T, 'send-eip1559-default-fees', async () => {
      const tx = await wallet.sendTransaction({ to: ACCOUNT3, value: 1234n });
      const receipt = await tx.wait(1, OPTS.timeout);
      eq(receipt.status, 1, 'status');
      eq(tx.type, 2, 'type');
      eq(receipt.type, 2, 'receipt type');
    });

    await check(C, T, 'pending-block', async () => {
      const head = await provider.getBlockNumber();
      const raw = await provider.send('eth_getBlockByNumber', ['pending', false]);
      eq(Number(raw.number), head + 1, 'number');
      eq(raw.hash, null, 'hash');
      const pendingNonce = await provider.getTransactionCount(ACCOUNT1, 'pending');
      eq(pendingNonce, await provider.getTransactionCount(ACCOUNT1, 'latest'), 'pending nonce');
    });

    await check(C, T, 'sign-message-jsonrpc-signer', async () => {
      const signer = await provider.getSigner(ACCOUNT2);
      const signature = await signer.signMessage('hello from ethers');
      eq(ethers.verifyMessage('hello from ethers', signature), ACCOUNT2, 'recovered signer');
    });

    await check(C, T, 'sign-typed-data-jsonrpc-signer', async () => {
      const signer = await provider.getSigner(ACCOUNT2);
      const signature = await signer.signTypedData(TYPED.domain, TYPED.types, TYPED.message);
      eq(ethers.verifyTypedData(TYPED.domain, TYPED.types, TYPED.message, signature), ACCOUNT2, 'recovered signer');
    });
  } finally {
    await new Promise((r) => setTimeout(r, 100));
    try { await provider.destroy(); } catch { /* ignore */ }
  }
}

process.on('unhandledRejection', (e) => {
  if (e?.shortMessage === 'provider destroyed; cancelled request') return;
  failures++;
  console.log(`FAIL internal: unhandled rejection: ${e?.message || e}`);
});

async function main() {
  for (const T of ['http', 'ws'].filter((t) => OPTS[t])) {
    await runViem(T);
    await runEthers(T);
  }
  console.log(`${failures ? 'FAILED' : 'PASSED'}: ${passes} ok, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL internal: ${e?.stack || e}`); process.exit(1); });
