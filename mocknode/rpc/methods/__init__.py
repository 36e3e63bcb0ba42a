"""Every JSON-RPC method mocknode answers, one typed function each, by the module that
registers it.

Importing this package declares every method on :data:`mocknode.rpc.registry.registry`
and imports none of the modules: the first call of a method imports its module (see the
registry's docstring for why). A new method goes in its module and in :data:`MODULES`;
:meth:`Registry.method <mocknode.rpc.registry.Registry.method>` refuses a name listed
under another module, importing a module that leaves a listed name unregistered fails,
and ``tests/embedded/test_lazy_methods.py`` checks that each module registers exactly
its names.
"""

from __future__ import annotations

from mocknode.rpc.registry import registry

# module (under this package) -> the methods it registers, aliases included
MODULES: dict[str, tuple[str, ...]] = {
    "account_info": ("eth_getAccountInfo",),
    "blocks": (
        "eth_getBlockByHash",
        "eth_getBlockByNumber",
        "eth_getBlockReceipts",
        "eth_getBlockTransactionCountByHash",
        "eth_getBlockTransactionCountByNumber",
        "eth_getRawTransactionByHash",
        "eth_getTransactionByBlockHashAndIndex",
        "eth_getTransactionByBlockNumberAndIndex",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_getUncleCountByBlockHash",
        "eth_getUncleCountByBlockNumber",
    ),
    "debug": (
        "debug_traceBlockByHash",
        "debug_traceBlockByNumber",
        "debug_traceCall",
        "debug_traceTransaction",
    ),
    "dev": (
        "anvil_addBalance",
        "anvil_autoImpersonateAccount",
        "anvil_dropAllTransactions",
        "anvil_dropTransaction",
        "anvil_getAutomine",
        "anvil_getIntervalMining",
        "anvil_impersonateAccount",
        "anvil_increaseTime",
        "anvil_mine",
        "anvil_mine_detailed",
        "anvil_removePoolTransactions",
        "anvil_revert",
        "anvil_setAutomine",
        "anvil_setBalance",
        "anvil_setCode",
        "anvil_setIntervalMining",
        "anvil_setNextBlockTimestamp",
        "anvil_setNonce",
        "anvil_setStorageAt",
        "anvil_snapshot",
        "anvil_stopImpersonatingAccount",
        "evm_increaseTime",
        "evm_mine",
        "evm_mine_detailed",
        "evm_revert",
        "evm_setAccountNonce",
        "evm_setAutomine",
        "evm_setIntervalMining",
        "evm_setNextBlockTimestamp",
        "evm_snapshot",
        "hardhat_addBalance",
        "hardhat_autoImpersonateAccount",
        "hardhat_dropAllTransactions",
        "hardhat_dropTransaction",
        "hardhat_getAutomine",
        "hardhat_impersonateAccount",
        "hardhat_mine",
        "hardhat_setBalance",
        "hardhat_setCode",
        "hardhat_setNonce",
        "hardhat_setStorageAt",
        "hardhat_stopImpersonatingAccount",
        "tenderly_addBalance",
        "tenderly_setBalance",
    ),
    "dev_env": (
        "anvil_removeBlockTimestampInterval",
        "anvil_setBlockGasLimit",
        "anvil_setBlockTimestampInterval",
        "anvil_setChainId",
        "anvil_setCoinbase",
        "anvil_setMinGasPrice",
        "anvil_setNextBlockBaseFeePerGas",
        "anvil_setNextBlockPrevRandao",
        "anvil_setTime",
        "evm_setBlockGasLimit",
        "evm_setTime",
        "hardhat_setCoinbase",
        "hardhat_setMinGasPrice",
        "hardhat_setNextBlockBaseFeePerGas",
        "hardhat_setPrevRandao",
    ),
    "dev_node": (
        "anvil_getGenesisTime",
        "anvil_metadata",
        "anvil_nodeInfo",
        "anvil_reset",
        "anvil_setLoggingEnabled",
        "hardhat_metadata",
        "hardhat_reset",
        "hardhat_setLoggingEnabled",
    ),
    "dev_tokens": (
        "anvil_dealERC20",
        "anvil_setERC20Allowance",
        "anvil_setERC20Balance",
        "hardhat_dealERC20",
    ),
    "fees": ("eth_feeHistory",),
    "info": (
        "eth_accounts",
        "eth_blobBaseFee",
        "eth_chainId",
        "eth_coinbase",
        "eth_gasPrice",
        "eth_hashrate",
        "eth_maxPriorityFeePerGas",
        "eth_mining",
        "eth_syncing",
        "net_listening",
        "net_peerCount",
        "net_version",
        "web3_clientVersion",
        "web3_sha3",
    ),
    "logs": (
        "eth_getFilterChanges",
        "eth_getFilterLogs",
        "eth_getLogs",
        "eth_newBlockFilter",
        "eth_newFilter",
        "eth_newPendingTransactionFilter",
        "eth_subscribe",
        "eth_uninstallFilter",
        "eth_unsubscribe",
    ),
    "lookups": (
        "eth_getAccount",
        "eth_getHeaderByHash",
        "eth_getHeaderByNumber",
        "eth_getRawTransactionByBlockHashAndIndex",
        "eth_getRawTransactionByBlockNumberAndIndex",
        "eth_getTransactionBySenderAndNonce",
        "eth_getUncleByBlockHashAndIndex",
        "eth_getUncleByBlockNumberAndIndex",
    ),
    "mock": (
        "mock_addFault",
        "mock_clearFaults",
        "mock_journal",
        "mock_listFaults",
        "mock_removeFault",
        "mock_setSeed",
    ),
    "modules": ("rpc_modules",),
    "reorg": (
        "anvil_reorg",
        "anvil_rollback",
        "mock_reorg",
    ),
    "send": (
        "eth_call",
        "eth_estimateGas",
        "eth_sendRawTransaction",
        "eth_sendTransaction",
    ),
    "send_sync": ("eth_sendRawTransactionSync",),
    "signing": (
        "eth_sign",
        "eth_signTransaction",
        "eth_signTypedData",
        "eth_signTypedData_v4",
        "personal_sign",
    ),
    "simulate": (
        "eth_createAccessList",
        "eth_simulateV1",
    ),
    "state": (
        "eth_blockNumber",
        "eth_getBalance",
        "eth_getCode",
        "eth_getProof",
        "eth_getStorageAt",
        "eth_getTransactionCount",
    ),
    "state_io": (
        "anvil_dumpState",
        "anvil_loadState",
        "hardhat_dumpState",
        "hardhat_loadState",
    ),
    "txpool": (
        "eth_pendingTransactions",
        "txpool_content",
        "txpool_contentFrom",
        "txpool_inspect",
        "txpool_status",
    ),
    "virtual_time": ("mock_advanceTime",),
}

for _module, _names in MODULES.items():
    registry.defer(f"{__name__}.{_module}", _names)


def load_all() -> None:
    """Import every method module (for listings, docs and tests of the whole table)."""
    registry.load_all()
