#!/usr/bin/env node
// Interoperability check: drive an Ethereum dev node with ethers v6 and viem
// over HTTP, WebSocket and IPC.
//
//   node interop/check.mjs --http http://127.0.0.1:8545 --ws ws://127.0.0.1:8546 --ipc /tmp/node.ipc
//
// Any of --http/--ws/--ipc may be omitted to skip that transport.
// Other options:
//   --only ethers|viem     run one client only
//   --timeout MS           per-check timeout (default 20000)
//   --verbose              print error details for passing revert checks too
//
// Expects chain id 31337 and the usual dev accounts from the mnemonic
// "test test test test test test test test test test test junk", unlocked
// on the node (for eth_sendTransaction via JsonRpcSigner / JSON-RPC accounts).
//
// Output: one line per check, "ok <client> <transport> <check>" or
// "FAIL <client> <transport> <check>: <details>". Exit code 1 on any failure.

import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as ethers from 'ethers';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  pad,
  parseAbiItem,
  parseEther,
  parseEventLogs,
  parseGwei,
  webSocket,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ipc } from 'viem/node';
import WebSocket from 'ws';

// ---------------------------------------------------------------------------
// configuration

const HERE = dirname(fileURLToPath(import.meta.url));
const GREETER = JSON.parse(
  readFileSync(join(HERE, '..', 'fixtures', 'artifacts', 'Greeter.json'), 'utf8'),
);

const CHAIN_ID = 31337;
const PK0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const ACCOUNT0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const ACCOUNT1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const REVERT_REASON = 'Greeter: always fails';
const CUSTOM_CODE = 42n;
const CUSTOM_WHY = 'custom failure';
const POLL_MS = 250;
// An address no dev account owns: impersonated, funded and reverted by the test-client checks.
const WHALE = getAddress('0x' + '5a'.repeat(20));
const CODE_HOLDER = getAddress('0x' + '5b'.repeat(20));
const COINBASE = getAddress('0x' + '5c'.repeat(20));

function parseArgs(argv) {
  const opts = { timeout: 20000, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`missing value for ${a}`);
      return argv[++i];
    };
    switch (a) {
      case '--http': opts.http = next(); break;
      case '--ws': opts.ws = next(); break;
      case '--ipc': opts.ipc = next(); break;
      case '--only': opts.only = next(); break;
      case '--timeout': opts.timeout = Number(next()); break;
      case '--verbose': case '-v': opts.verbose = true; break;
      case '--help': case '-h': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!opts.http && !opts.ws && !opts.ipc) usage('give at least one of --http, --ws, --ipc');
  return opts;
}

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: node check.mjs [--http URL] [--ws URL] [--ipc PATH] ' +
    '[--only ethers|viem] [--timeout MS] [--verbose]');
  process.exit(msg ? 2 : 0);
}

const OPTS = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------------------
// reporting helpers

let failures = 0;
let passes = 0;

class CheckFailed extends Error {}

function assert(cond, msg) {
  if (!cond) throw new CheckFailed(msg);
}

function eq(actual, expected, what) {
  assert(actual === expected, `${what}: expected ${fmt(expected)}, got ${fmt(actual)}`);
}

function fmt(v) {
  if (typeof v === 'bigint') return `${v}n`;
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    return String(v);
  }
}

function errDetail(e) {
  if (e instanceof CheckFailed) return e.message;
  const parts = [];
  parts.push(e?.shortMessage || e?.message || String(e));
  if (e?.code !== undefined) parts.push(`code=${e.code}`);
  if (e?.cause?.message) parts.push(`cause=${e.cause.message}`);
  if (e?.info?.error) parts.push(`rpcError=${fmt(e.info.error)}`);
  if (e?.details && e.details !== e?.shortMessage) parts.push(`details=${e.details}`);
  return parts.join(' | ').replace(/\s+/g, ' ');
}

function withTimeout(promise, ms, what) {
  let t;
  const timer = new Promise((_, reject) => {
    t = setTimeout(() => reject(new CheckFailed(`timed out after ${ms} ms (${what})`)), ms);
  });
  return Promise.race([promise, timer]).finally(() => clearTimeout(t));
}

// Run one check; returns the check's value, or undefined on failure.
async function check(client, transport, name, fn) {
  const label = `${client} ${transport} ${name}`;
  try {
    const value = await withTimeout(Promise.resolve().then(fn), OPTS.timeout, label);
    passes++;
    console.log(`ok ${label}`);
    return value;
  } catch (e) {
    failures++;
    console.log(`FAIL ${label}: ${errDetail(e)}`);
    return undefined;
  }
}

function skip(client, transport, name, why) {
  failures++;
  console.log(`FAIL ${client} ${transport} ${name}: skipped (${why})`);
}

function note(msg) {
  if (OPTS.verbose) console.log(`   # ${msg}`);
}

// Wait until `getHead()` reports a block newer than `startBlock`, while a
// transaction is sent to make the node produce one.
function waitForNewBlock(subscribe, startBlock) {
  return new Promise((resolve, reject) => {
    let done = false;
    let cleanup = () => {};
    const finish = (n) => {
      if (done) return;
      done = true;
      Promise.resolve(cleanup()).catch(() => {});
      resolve(n);
    };
    Promise.resolve(
      subscribe((n) => {
        if (BigInt(n) > BigInt(startBlock)) finish(BigInt(n));
      }, (e) => { if (!done) { done = true; reject(e); } }),
    ).then((c) => { cleanup = c; if (done) Promise.resolve(c()).catch(() => {}); }, reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// ethers v6

// ethers v6 shares identical requests made within `cacheTimeout` ms (default
// 250). On an automining dev node a receipt arrives faster than that, so a
// getBalance()/getTransactionCount("pending") straight after tx.wait() would
// return the cached pre-transaction answer (=> wrong balances, "nonce too
// low"). Disable that cache; this is client behaviour, not the node's.
const ETHERS_OPTS = { pollingInterval: POLL_MS, cacheTimeout: -1 };

function makeEthersProvider(transport) {
  const network = undefined; // let ethers detect the network (exercises eth_chainId)
  switch (transport) {
    case 'http':
      return new ethers.JsonRpcProvider(OPTS.http, network, ETHERS_OPTS);
    case 'ws':
      return new ethers.WebSocketProvider(OPTS.ws, network, ETHERS_OPTS);
    case 'ipc':
      return new ethers.IpcSocketProvider(OPTS.ipc, network, ETHERS_OPTS);
    default:
      throw new Error(transport);
  }
}

// Decode the revert in an ethers error using the contract interface. Returns
// { name, args, reason } or null. `e.revert` is filled by ethers for calls made
// through a Contract; fall back to parsing `e.data` ourselves.
function ethersRevert(iface, e) {
  if (e?.revert) return { name: e.revert.name, args: [...e.revert.args], reason: e.reason ?? null, via: 'e.revert' };
  const data = e?.data ?? e?.info?.error?.data;
  if (typeof data === 'string' && data.length >= 10) {
    const parsed = iface.parseError(data);
    if (parsed) return { name: parsed.name, args: [...parsed.args], reason: e.reason ?? null, via: 'iface.parseError(e.data)' };
  }
  return null;
}

async function runEthers(transport) {
  const C = 'ethers';
  const T = transport;
  let provider;
  try {
    provider = makeEthersProvider(transport);
  } catch (e) {
    await check(C, T, 'connect', () => { throw e; });
    return;
  }
  try {
    const wallet = new ethers.Wallet(PK0, provider);

    await check(C, T, 'chainId', async () => {
      const net = await provider.getNetwork();
      eq(net.chainId, BigInt(CHAIN_ID), 'chainId');
      const raw = await provider.send('eth_chainId', []);
      eq(raw, '0x' + CHAIN_ID.toString(16), 'eth_chainId');
    });

    await check(C, T, 'blockNumber', async () => {
      const n = await provider.getBlockNumber();
      assert(Number.isInteger(n) && n >= 0, `bad block number ${n}`);
      const block = await provider.getBlock(n);
      assert(block && block.number === n, `getBlock(${n}) returned ${fmt(block?.number)}`);
    });

    await check(C, T, 'balance', async () => {
      const bal = await provider.getBalance(ACCOUNT0);
      assert(bal > 0n, `account 0 balance is ${bal}`);
    });

    // -- value transfer with a local Wallet (eth_sendRawTransaction)
    await check(C, T, 'transfer-wallet', async () => {
      const value = ethers.parseEther('0.01');
      const before = await provider.getBalance(ACCOUNT1);
      const tx = await wallet.sendTransaction({ to: ACCOUNT1, value });
      const rcpt = await tx.wait(1, OPTS.timeout);
      eq(rcpt.status, 1, 'receipt status');
      eq(rcpt.hash, tx.hash, 'receipt hash');
      eq(rcpt.from, ACCOUNT0, 'receipt from');
      const after = await provider.getBalance(ACCOUNT1);
      eq(after - before, value, 'recipient balance delta');
      const fetched = await provider.getTransaction(tx.hash);
      eq(fetched?.hash, tx.hash, 'getTransaction hash');
    });

    // -- value transfer through the node's unlocked account (eth_sendTransaction)
    await check(C, T, 'transfer-jsonrpcsigner', async () => {
      const signer = await provider.getSigner(0);
      eq(await signer.getAddress(), ACCOUNT0, 'eth_accounts[0]');
      const value = ethers.parseEther('0.02');
      const before = await provider.getBalance(ACCOUNT1);
      const tx = await signer.sendTransaction({ to: ACCOUNT1, value });
      const rcpt = await tx.wait(1, OPTS.timeout);
      eq(rcpt.status, 1, 'receipt status');
      const after = await provider.getBalance(ACCOUNT1);
      eq(after - before, value, 'recipient balance delta');
    });

    // -- deploy Greeter
    const iface = new ethers.Interface(GREETER.abi);
    const greeter = await check(C, T, 'deploy', async () => {
      const factory = new ethers.ContractFactory(GREETER.abi, GREETER.bytecode, wallet);
      const c = await factory.deploy('hello');
      await c.waitForDeployment();
      const addr = await c.getAddress();
      const code = await provider.getCode(addr);
      eq(code, GREETER.deployedBytecode, 'deployed code');
      const rcpt = await c.deploymentTransaction().wait();
      eq(rcpt.contractAddress, addr, 'receipt contractAddress');
      return c;
    });

    if (!greeter) {
      for (const n of ['call', 'setGreeting', 'getLogs', 'jsonrpcsigner-write', 'revert-reason',
        'revert-reason-estimateGas', 'revert-custom', 'revert-panic', 'revert-empty'])
        skip(C, T, n, 'deploy failed');
    } else {
      await check(C, T, 'call', async () => {
        eq(await greeter.greet(), 'hello', 'greet()');
        eq(await greeter.greeting(), 'hello', 'greeting()');
        eq(await greeter.counter(), 0n, 'counter()');
      });

      const setRcpt = await check(C, T, 'setGreeting', async () => {
        const tx = await greeter.setGreeting(`hi from ethers ${T}`);
        const rcpt = await tx.wait();
        eq(rcpt.status, 1, 'status');
        eq(await greeter.greet(), `hi from ethers ${T}`, 'greet() after set');
        const parsed = rcpt.logs.map((l) => greeter.interface.parseLog(l)).filter(Boolean);
        eq(parsed.length, 1, 'events in receipt');
        eq(parsed[0].name, 'GreetingChanged', 'event name');
        return rcpt;
      });

      await check(C, T, 'getLogs', async () => {
        assert(setRcpt, 'setGreeting failed');
        const bn = setRcpt.blockNumber;
        // Contract-level filter (topics include the indexed `by`).
        const evs = await greeter.queryFilter(greeter.filters.GreetingChanged(ACCOUNT0), bn, bn);
        eq(evs.length, 1, 'queryFilter results');
        eq(evs[0].args.by, ACCOUNT0, 'event.by');
        eq(evs[0].args.greeting, `hi from ethers ${T}`, 'event.greeting');
        eq(evs[0].transactionHash, setRcpt.hash, 'event tx hash');
        // Raw provider.getLogs.
        const topic0 = iface.getEvent('GreetingChanged').topicHash;
        const logs = await provider.getLogs({
          address: await greeter.getAddress(), topics: [topic0], fromBlock: bn, toBlock: bn,
        });
        eq(logs.length, 1, 'provider.getLogs results');
        // Non-matching indexed topic must yield nothing.
        const none = await greeter.queryFilter(greeter.filters.GreetingChanged(ACCOUNT1), bn, bn);
        eq(none.length, 0, 'queryFilter with other sender');
      });

      await check(C, T, 'jsonrpcsigner-write', async () => {
        const signer = await provider.getSigner(0);
        const g = greeter.connect(signer);
        const before = await g.counter();
        const rcpt = await (await g.increment()).wait();
        eq(rcpt.status, 1, 'status');
        eq(await g.counter(), before + 1n, 'counter after increment');
      });

      // eth_call path
      await check(C, T, 'revert-reason', async () => {
        try {
          await greeter.fail.staticCall();
        } catch (e) {
          eq(e.code, 'CALL_EXCEPTION', 'error code');
          eq(e.reason, REVERT_REASON, 'reason');
          const r = ethersRevert(iface, e);
          eq(r?.name, 'Error', 'revert name');
          console.log(`   reason: ${JSON.stringify(e.reason)}`);
          note(`ethers ${T} fail(): ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('fail() did not revert');
      });

      // eth_estimateGas path (what a plain `greeter.fail()` transaction hits)
      await check(C, T, 'revert-reason-estimateGas', async () => {
        try {
          await greeter.fail();
        } catch (e) {
          eq(e.code, 'CALL_EXCEPTION', 'error code');
          const r = ethersRevert(iface, e);
          eq(r?.name, 'Error', 'revert name');
          eq(r?.args?.[0], REVERT_REASON, 'reason');
          note(`ethers ${T} fail() send: ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('fail() transaction did not revert');
      });

      await check(C, T, 'revert-custom', async () => {
        try {
          await greeter.failCustom.staticCall(CUSTOM_CODE);
        } catch (e) {
          eq(e.code, 'CALL_EXCEPTION', 'error code');
          const r = ethersRevert(iface, e);
          eq(r?.name, 'Custom', 'custom error name');
          eq(r.args[0], CUSTOM_CODE, 'Custom.code');
          eq(r.args[1], CUSTOM_WHY, 'Custom.why');
          console.log(`   custom error: ${r.name}(${r.args[0]}, ${JSON.stringify(r.args[1])}) [${r.via}]`);
          note(`ethers ${T} failCustom(): ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('failCustom() did not revert');
      });

      await check(C, T, 'revert-panic', async () => {
        try {
          await greeter.failPanic.staticCall();
        } catch (e) {
          eq(e.code, 'CALL_EXCEPTION', 'error code');
          const r = ethersRevert(iface, e);
          eq(r?.name, 'Panic', 'revert name');
          eq(BigInt(r.args[0]), 0x12n, 'panic code'); // ethers gives a number here
          note(`ethers ${T} failPanic(): ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('failPanic() did not revert');
      });

      await check(C, T, 'revert-empty', async () => {
        try {
          await greeter.failEmpty.staticCall();
        } catch (e) {
          eq(e.code, 'CALL_EXCEPTION', 'error code');
          assert(e.revert == null, `unexpected decoded revert ${fmt(e.revert)}`);
          assert(e.data == null || e.data === '0x', `unexpected revert data ${fmt(e.data)}`);
          note(`ethers ${T} failEmpty(): ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('failEmpty() did not revert');
      });
    }

    // -- new block notifications. ws/ipc use eth_subscribe("newHeads");
    //    http falls back to polling eth_blockNumber.
    await check(C, T, T === 'http' ? 'block-polling' : 'subscribe-blocks', async () => {
      const start = await provider.getBlockNumber();
      const seen = waitForNewBlock((onBlock) => {
        const listener = (n) => onBlock(n);
        return provider.on('block', listener).then(() => () => provider.off('block', listener));
      }, start);
      await sleep(T === 'http' ? 2 * POLL_MS : 100); // let the subscription be established
      const tx = await wallet.sendTransaction({ to: ACCOUNT1, value: 1n });
      await tx.wait();
      const n = await seen;
      assert(n > BigInt(start), `block ${n} not newer than ${start}`);
    });
  } finally {
    // provider.off() sends eth_unsubscribe without awaiting it; give it a
    // moment so destroy() does not cancel it mid-flight.
    await sleep(100);
    try { await provider.destroy(); } catch { /* ignore */ }
  }
}

// ---------------------------------------------------------------------------
// viem

const chain = defineChain({
  id: CHAIN_ID,
  name: 'dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [OPTS.http ?? 'http://127.0.0.1:8545'] } },
});

function makeViemTransport(transport) {
  switch (transport) {
    case 'http': return http(OPTS.http, { retryCount: 0 });
    case 'ws': return webSocket(OPTS.ws, { retryCount: 0 });
    case 'ipc': return ipc(OPTS.ipc, { retryCount: 0 });
    default: throw new Error(transport);
  }
}

// Find the ContractFunctionRevertedError inside a viem error chain.
function viemRevert(e) {
  if (e instanceof BaseError) {
    const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (r instanceof ContractFunctionRevertedError) return r;
  }
  return null;
}

const GREETING_CHANGED = parseAbiItem('event GreetingChanged(address indexed by, string greeting)');

async function runViem(transport) {
  const C = 'viem';
  const T = transport;
  const tr = makeViemTransport(transport);
  const pub = createPublicClient({ chain, transport: tr, pollingInterval: POLL_MS });
  const local = privateKeyToAccount(PK0);
  const wallet = createWalletClient({ chain, transport: tr, account: local, pollingInterval: POLL_MS });
  // JSON-RPC account: signing is done by the node (eth_sendTransaction).
  const nodeWallet = createWalletClient({ chain, transport: tr, account: ACCOUNT0, pollingInterval: POLL_MS });
  const waitRcpt = (hash) => pub.waitForTransactionReceipt({ hash, timeout: OPTS.timeout });

  try {
    await check(C, T, 'chainId', async () => {
      eq(await pub.getChainId(), CHAIN_ID, 'chainId');
    });

    await check(C, T, 'blockNumber', async () => {
      const n = await pub.getBlockNumber({ cacheTime: 0 });
      assert(typeof n === 'bigint' && n >= 0n, `bad block number ${fmt(n)}`);
      const block = await pub.getBlock({ blockNumber: n });
      eq(block.number, n, 'getBlock number');
    });

    await check(C, T, 'balance', async () => {
      const bal = await pub.getBalance({ address: ACCOUNT0 });
      assert(bal > 0n, `account 0 balance is ${bal}`);
    });

    await check(C, T, 'transfer-local-account', async () => {
      const value = parseEther('0.03');
      const before = await pub.getBalance({ address: ACCOUNT1 });
      const hash = await wallet.sendTransaction({ to: ACCOUNT1, value });
      const rcpt = await waitRcpt(hash);
      eq(rcpt.status, 'success', 'receipt status');
      eq(rcpt.transactionHash, hash, 'receipt hash');
      eq(rcpt.from.toLowerCase(), ACCOUNT0.toLowerCase(), 'receipt from');
      const after = await pub.getBalance({ address: ACCOUNT1 });
      eq(after - before, value, 'recipient balance delta');
      const tx = await pub.getTransaction({ hash });
      eq(tx.hash, hash, 'getTransaction hash');
    });

    await check(C, T, 'transfer-jsonrpc-account', async () => {
      const [addr] = await nodeWallet.getAddresses();
      eq(addr?.toLowerCase(), ACCOUNT0.toLowerCase(), 'eth_accounts[0]');
      const value = parseEther('0.04');
      const before = await pub.getBalance({ address: ACCOUNT1 });
      const hash = await nodeWallet.sendTransaction({ to: ACCOUNT1, value });
      const rcpt = await waitRcpt(hash);
      eq(rcpt.status, 'success', 'receipt status');
      const after = await pub.getBalance({ address: ACCOUNT1 });
      eq(after - before, value, 'recipient balance delta');
    });

    const address = await check(C, T, 'deploy', async () => {
      const hash = await wallet.deployContract({
        abi: GREETER.abi, bytecode: GREETER.bytecode, args: ['hello'],
      });
      const rcpt = await waitRcpt(hash);
      eq(rcpt.status, 'success', 'receipt status');
      assert(rcpt.contractAddress, 'no contractAddress in receipt');
      const code = await pub.getCode({ address: rcpt.contractAddress });
      eq(code, GREETER.deployedBytecode, 'deployed code');
      return rcpt.contractAddress;
    });

    if (!address) {
      for (const n of ['call', 'setGreeting', 'getLogs', 'jsonrpc-account-write', 'revert-reason',
        'revert-reason-estimateGas', 'revert-custom', 'revert-panic', 'revert-empty'])
        skip(C, T, n, 'deploy failed');
    } else {
      const c = { address, abi: GREETER.abi };

      await check(C, T, 'call', async () => {
        eq(await pub.readContract({ ...c, functionName: 'greet' }), 'hello', 'greet()');
        eq(await pub.readContract({ ...c, functionName: 'greeting' }), 'hello', 'greeting()');
        eq(await pub.readContract({ ...c, functionName: 'counter' }), 0n, 'counter()');
      });

      const text = `hi from viem ${T}`;
      const setRcpt = await check(C, T, 'setGreeting', async () => {
        const { request } = await pub.simulateContract({
          ...c, account: local, functionName: 'setGreeting', args: [text],
        });
        const hash = await wallet.writeContract(request);
        const rcpt = await waitRcpt(hash);
        eq(rcpt.status, 'success', 'status');
        eq(await pub.readContract({ ...c, functionName: 'greet' }), text, 'greet() after set');
        const evs = parseEventLogs({ abi: GREETER.abi, logs: rcpt.logs, eventName: 'GreetingChanged' });
        eq(evs.length, 1, 'events in receipt');
        return rcpt;
      });

      await check(C, T, 'getLogs', async () => {
        assert(setRcpt, 'setGreeting failed');
        const bn = setRcpt.blockNumber;
        const logs = await pub.getLogs({
          address, event: GREETING_CHANGED, args: { by: ACCOUNT0 }, fromBlock: bn, toBlock: bn,
        });
        eq(logs.length, 1, 'getLogs results');
        eq(logs[0].args.by.toLowerCase(), ACCOUNT0.toLowerCase(), 'event.by');
        eq(logs[0].args.greeting, text, 'event.greeting');
        eq(logs[0].transactionHash, setRcpt.transactionHash, 'event tx hash');
        const evs = await pub.getContractEvents({
          ...c, eventName: 'GreetingChanged', fromBlock: bn, toBlock: bn,
        });
        eq(evs.length, 1, 'getContractEvents results');
        const none = await pub.getLogs({
          address, event: GREETING_CHANGED, args: { by: ACCOUNT1 }, fromBlock: bn, toBlock: bn,
        });
        eq(none.length, 0, 'getLogs with other sender');
        // Filter API: eth_newFilter + eth_getFilterLogs
        const filter = await pub.createContractEventFilter({
          ...c, eventName: 'GreetingChanged', fromBlock: bn, toBlock: bn,
        });
        const flogs = await pub.getFilterLogs({ filter });
        eq(flogs.length, 1, 'getFilterLogs results');
        await pub.uninstallFilter({ filter });
      });

      await check(C, T, 'jsonrpc-account-write', async () => {
        const before = await pub.readContract({ ...c, functionName: 'counter' });
        const hash = await nodeWallet.writeContract({ ...c, functionName: 'increment' });
        const rcpt = await waitRcpt(hash);
        eq(rcpt.status, 'success', 'status');
        eq(await pub.readContract({ ...c, functionName: 'counter' }), before + 1n, 'counter');
      });

      // eth_call path
      await check(C, T, 'revert-reason', async () => {
        try {
          await pub.simulateContract({ ...c, account: local, functionName: 'fail' });
        } catch (e) {
          const r = viemRevert(e);
          assert(r, `no ContractFunctionRevertedError in: ${errDetail(e)}`);
          eq(r.reason, REVERT_REASON, 'reason');
          eq(r.data?.errorName, 'Error', 'errorName');
          console.log(`   reason: ${JSON.stringify(r.reason)}`);
          note(`viem ${T} fail(): ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('fail() did not revert');
      });

      // eth_estimateGas path (writeContract without simulate)
      await check(C, T, 'revert-reason-estimateGas', async () => {
        try {
          await wallet.writeContract({ ...c, functionName: 'fail' });
        } catch (e) {
          const r = viemRevert(e);
          assert(r, `no ContractFunctionRevertedError in: ${errDetail(e)}`);
          eq(r.reason, REVERT_REASON, 'reason');
          note(`viem ${T} fail() send: ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('fail() transaction did not revert');
      });

      await check(C, T, 'revert-custom', async () => {
        try {
          await pub.simulateContract({ ...c, account: local, functionName: 'failCustom', args: [CUSTOM_CODE] });
        } catch (e) {
          const r = viemRevert(e);
          assert(r, `no ContractFunctionRevertedError in: ${errDetail(e)}`);
          eq(r.data?.errorName, 'Custom', 'errorName');
          eq(r.data.args[0], CUSTOM_CODE, 'Custom.code');
          eq(r.data.args[1], CUSTOM_WHY, 'Custom.why');
          console.log(`   custom error: ${r.data.errorName}(${r.data.args[0]}, ${JSON.stringify(r.data.args[1])})`);
          note(`viem ${T} failCustom(): ${errDetail(e)}`);
          return;
        }
        throw new CheckFailed('failCustom() did not revert');
      });

      await check(C, T, 'revert-panic', async () => {
        try {
          await pub.simulateContract({ ...c, account: local, functionName: 'failPanic' });
        } catch (e) {
          const r = viemRevert(e);
          assert(r, `no ContractFunctionRevertedError in: ${errDetail(e)}`);
          eq(r.data?.errorName, 'Panic', 'errorName');
          eq(r.data.args[0], 0x12n, 'panic code');
          note(`viem ${T} failPanic(): ${errDetail(e)} reason=${r.reason}`);
          return;
        }
        throw new CheckFailed('failPanic() did not revert');
      });

      await check(C, T, 'revert-empty', async () => {
        try {
          await pub.simulateContract({ ...c, account: local, functionName: 'failEmpty' });
        } catch (e) {
          // geth answers an empty revert with -32000 "execution reverted" and no data
          // (viem: ExecutionRevertedError); anvil with code 3 and data "0x" (viem:
          // ContractFunctionRevertedError without data). Either is a revert with nothing
          // to decode.
          const r = viemRevert(e);
          const text = errDetail(e);
          assert(r || /execution reverted/i.test(text), `not a revert: ${text}`);
          if (r) eq(r.data, undefined, 'decoded data');
          note(`viem ${T} failEmpty(): ${text}`);
          return;
        }
        throw new CheckFailed('failEmpty() did not revert');
      });
    }

    // -- new block notifications. webSocket/ipc: eth_subscribe("newHeads");
    //    http: polling eth_blockNumber.
    await check(C, T, T === 'http' ? 'block-polling' : 'subscribe-blocks', async () => {
      const start = await pub.getBlockNumber({ cacheTime: 0 });
      const seen = waitForNewBlock((onBlock, onError) => pub.watchBlockNumber({
        onBlockNumber: onBlock,
        onError,
        emitOnBegin: false,
        poll: T === 'http', // force the subscription path on ws/ipc
        pollingInterval: POLL_MS,
      }), start);
      await sleep(T === 'http' ? 2 * POLL_MS : 100);
      const hash = await wallet.sendTransaction({ to: ACCOUNT1, value: 1n });
      await waitRcpt(hash);
      const n = await seen;
      assert(n > start, `block ${n} not newer than ${start}`);
    });

    await runViemTestClient(T, tr, pub, waitRcpt);
  } finally {
    if (T !== 'http') {
      try { (await tr({}).value.getRpcClient()).close(); } catch { /* ignore */ }
    }
  }
}

// ---------------------------------------------------------------------------
// viem's test client in anvil mode: the dev methods a viem test suite drives
// (anvil_*, evm_* with viem's parameter shapes: hex quantities, seconds for
// evm_setIntervalMining, ["0x<blocks>", "0x0"] for anvil_mine). Everything
// happens between a snapshot and a revert, so the chain is left as found.

async function runViemTestClient(T, tr, pub, waitRcpt) {
  const C = 'viem';
  const test = createTestClient({ chain, mode: 'anvil', transport: tr, pollingInterval: POLL_MS });
  const head = () => pub.getBlock({ blockTag: 'latest' });
  const blockNumber = () => pub.getBlockNumber({ cacheTime: 0 });
  const startBlock = await blockNumber();
  let snap;
  try {
    await check(C, T, 'test-snapshot', async () => {
      snap = await test.snapshot();
      assert(typeof snap === 'string' && snap.startsWith('0x'), `snapshot id ${fmt(snap)}`);
    });

    await check(C, T, 'test-mining', async () => {
      const nodeWallet = createWalletClient({ chain, transport: tr, account: ACCOUNT0 });
      await test.setAutomine(false);
      eq(await test.getAutomine(), false, 'getAutomine after setAutomine(false)');
      const hash = await nodeWallet.sendTransaction({ to: ACCOUNT1, value: 1n });
      const early = await pub.getTransactionReceipt({ hash }).then(() => 'mined', () => 'pending');
      eq(early, 'pending', 'transaction before mine()');
      const before = await blockNumber();
      await test.mine({ blocks: 2 });
      eq(await blockNumber(), before + 2n, 'block number after mine({blocks: 2})');
      eq((await pub.getTransactionReceipt({ hash })).blockNumber, before + 1n, 'mined in');
      await test.setIntervalMining({ interval: 1 }); // seconds, in anvil mode
      const from = await blockNumber();
      const deadline = Date.now() + 5000;
      while ((await blockNumber()) === from && Date.now() < deadline) await sleep(100);
      assert((await blockNumber()) > from, 'no block from interval mining within 5 s');
      await test.setIntervalMining({ interval: 0 });
      await test.setAutomine(true);
      eq(await test.getAutomine(), true, 'getAutomine after setAutomine(true)');
    });

    await check(C, T, 'test-time', async () => {
      // The clock moves an hour on (blocks mined fast may already be ahead of it; anvil's
      // evm_revert sets its clock to the reverted block's time, a few seconds behind).
      const wall = BigInt(Math.floor(Date.now() / 1000));
      await test.increaseTime({ seconds: 3600 });
      await test.mine({ blocks: 1 });
      const b1 = await head();
      assert(b1.timestamp >= wall + 3590n, `timestamp ${b1.timestamp}: not an hour after ${wall}`);
      const at = b1.timestamp + 1000n;
      await test.setNextBlockTimestamp({ timestamp: at });
      await test.mine({ blocks: 1 });
      eq((await head()).timestamp, at, 'setNextBlockTimestamp');
      await test.setBlockTimestampInterval({ interval: 5 });
      await test.mine({ blocks: 2 });
      eq((await head()).timestamp, at + 10n, 'two blocks 5 s apart');
      await test.removeBlockTimestampInterval();
    });

    await check(C, T, 'test-state', async () => {
      await test.setBalance({ address: WHALE, value: parseEther('1234') });
      eq(await pub.getBalance({ address: WHALE }), parseEther('1234'), 'setBalance');
      await test.setNonce({ address: WHALE, nonce: 7 });
      eq(await pub.getTransactionCount({ address: WHALE }), 7, 'setNonce');
      await test.setCode({ address: CODE_HOLDER, bytecode: '0x6001600055' });
      eq(await pub.getCode({ address: CODE_HOLDER }), '0x6001600055', 'setCode');
      const word = pad('0x2a');
      await test.setStorageAt({ address: CODE_HOLDER, index: 3, value: word });
      eq(await pub.getStorageAt({ address: CODE_HOLDER, slot: '0x3' }), word, 'setStorageAt');
    });

    await check(C, T, 'test-impersonation', async () => {
      const whale = createWalletClient({ chain, transport: tr, account: WHALE });
      await test.impersonateAccount({ address: WHALE });
      const hash = await whale.sendTransaction({ to: ACCOUNT1, value: 5n });
      const rcpt = await waitRcpt(hash);
      eq(rcpt.status, 'success', 'impersonated transaction status');
      eq(rcpt.from.toLowerCase(), WHALE.toLowerCase(), 'receipt from');
      eq((await pub.getTransaction({ hash })).nonce, 7, 'nonce set by setNonce');
      await test.stopImpersonatingAccount({ address: WHALE });
      const after = await whale.sendTransaction({ to: ACCOUNT1, value: 5n }).then(() => 'sent', () => 'refused');
      eq(after, 'refused', 'sending after stopImpersonatingAccount');
    });

    await check(C, T, 'test-environment', async () => {
      await test.setCoinbase({ address: COINBASE });
      await test.setNextBlockBaseFeePerGas({ baseFeePerGas: parseGwei('3') });
      await test.setBlockGasLimit({ gasLimit: 25_000_000n });
      await test.mine({ blocks: 1 });
      const b = await head();
      eq(b.miner.toLowerCase(), COINBASE.toLowerCase(), 'miner');
      eq(b.baseFeePerGas, parseGwei('3'), 'baseFeePerGas');
      eq(b.gasLimit, 25_000_000n, 'gasLimit');
      const refused = await test.setMinGasPrice({ gasPrice: 1n }).then(() => 'accepted', () => 'refused');
      eq(refused, 'refused', 'setMinGasPrice once EIP-1559 is active');
    });

    await check(C, T, 'test-revert', async () => {
      assert(snap, 'no snapshot taken');
      await test.revert({ id: snap });
      eq(await blockNumber(), startBlock, 'block number after revert');
      eq(await pub.getBalance({ address: WHALE }), 0n, 'balance after revert');
      eq(await pub.getTransactionCount({ address: WHALE }), 0, 'nonce after revert');
      eq(await test.getAutomine(), true, 'automine after revert');
    });
  } finally {
    // Whatever failed above, leave a node that mines each transaction.
    await test.setIntervalMining({ interval: 0 }).catch(() => {});
    await test.setAutomine(true).catch(() => {});
  }
}

// ---------------------------------------------------------------------------

// preflight: one raw eth_chainId per transport, so an unreachable endpoint is
// reported once instead of crashing a client library (ethers' WebSocket
// provider throws an uncatchable 'error' event on ECONNREFUSED).

function rawRequest(transport, ms = 5000) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  const work = new Promise((resolve, reject) => {
    if (transport === 'http') {
      fetch(OPTS.http, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then((r) => r.json()).then(resolve, reject);
    } else if (transport === 'ws') {
      const sock = new WebSocket(OPTS.ws);
      sock.on('error', reject);
      sock.on('open', () => sock.send(body));
      sock.on('message', (m) => { sock.close(); try { resolve(JSON.parse(m.toString())); } catch (e) { reject(e); } });
    } else {
      const sock = netConnect(OPTS.ipc);
      let buf = '';
      sock.on('error', reject);
      sock.on('connect', () => sock.write(body + '\n'));
      sock.on('data', (d) => {
        buf += d.toString();
        try { const msg = JSON.parse(buf); sock.end(); resolve(msg); } catch { /* partial */ }
      });
    }
  });
  return withTimeout(work, ms, `raw eth_chainId over ${transport}`);
}

async function preflight(transport) {
  return check('raw', transport, 'connect', async () => {
    const res = await rawRequest(transport);
    assert(!res.error, `eth_chainId error ${fmt(res.error)}`);
    eq(res.result, '0x' + CHAIN_ID.toString(16), 'eth_chainId');
    return true;
  });
}

// A socket dying mid-run (e.g. the node crashed) shows up as an 'error' event
// nobody listens to; report it and stop instead of printing a bare stack.
process.on('uncaughtException', (e) => {
  console.log(`FAIL internal: uncaught exception: ${errDetail(e)}`);
  process.exit(1);
});

// Requests cancelled by provider.destroy() surface as unhandled rejections in
// ethers; they are teardown noise, not check failures.
process.on('unhandledRejection', (e) => {
  if (e?.shortMessage === 'provider destroyed; cancelled request') return;
  failures++;
  console.log(`FAIL internal: unhandled rejection: ${errDetail(e)}`);
});

async function main() {
  const transports = ['http', 'ws', 'ipc'].filter((t) => OPTS[t]);
  const clients = OPTS.only ? [OPTS.only] : ['ethers', 'viem'];
  const reachable = {};
  for (const t of transports) reachable[t] = await preflight(t);
  for (const client of clients) {
    for (const t of transports) {
      if (!reachable[t]) {
        console.log(`FAIL ${client} ${t} all: skipped (transport unreachable)`);
        failures++;
        continue;
      }
      try {
        if (client === 'ethers') await runEthers(t);
        else if (client === 'viem') await runViem(t);
        else usage(`unknown client ${client}`);
      } catch (e) {
        failures++;
        console.log(`FAIL ${client} ${t} (setup): ${errDetail(e)}`);
      }
    }
  }
  console.log(`${failures ? 'FAILED' : 'PASSED'}: ${passes} ok, ${failures} failed`);
  // Sockets of some providers may keep the loop alive; exit explicitly.
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL internal: ${e?.stack || e}`);
  process.exit(1);
});
