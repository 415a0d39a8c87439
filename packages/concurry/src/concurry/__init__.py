"""concurry: write a class once, run it as an actor anywhere.

This umbrella package ships no behaviour of its own. It re-exports every public
name of ``concurry-futures``, ``concurry-limits``, ``concurry-retry``,
``concurry-workers`` and (when installed) ``concurry-ray``, lazily, so that
``import concurry`` stays fast and imports nothing heavy until a name is used.
The module paths of the original concurry (``concurry.core.worker.base_worker``,
``concurry.core.limit.limit_set``, ...) are thin alias modules over the same
objects, plus a few adapters where the original's API differs.
"""

from __future__ import annotations

from concurry._exports import EXPORTS, lazy_module

# Not ``typing.TYPE_CHECKING``: ``import concurry`` does not import typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_futures import ALL_COMPLETED as ALL_COMPLETED
    from concurry_futures import FIRST_COMPLETED as FIRST_COMPLETED
    from concurry_futures import FIRST_EXCEPTION as FIRST_EXCEPTION
    from concurry_futures import AdaptivePolling as AdaptivePolling
    from concurry_futures import AsyncioFuture as AsyncioFuture
    from concurry_futures import BaseFuture as BaseFuture
    from concurry_futures import ConcurrentFuture as ConcurrentFuture
    from concurry_futures import ExponentialPolling as ExponentialPolling
    from concurry_futures import FixedPolling as FixedPolling
    from concurry_futures import FuturesError as FuturesError
    from concurry_futures import MissingPluginError as MissingPluginError
    from concurry_futures import PollingAlgorithm as PollingAlgorithm
    from concurry_futures import PollingStrategy as PollingStrategy
    from concurry_futures import ProgressBar as ProgressBar
    from concurry_futures import ProgressivePolling as ProgressivePolling
    from concurry_futures import ReturnWhen as ReturnWhen
    from concurry_futures import SyncFuture as SyncFuture
    from concurry_futures import Timer as Timer
    from concurry_futures import TimerError as TimerError
    from concurry_futures import as_progress_bar as as_progress_bar
    from concurry_futures import async_gather as async_gather
    from concurry_futures import async_wait as async_wait
    from concurry_futures import gather as gather
    from concurry_futures import polling_strategy as polling_strategy
    from concurry_futures import register_future_adapter as register_future_adapter
    from concurry_futures import wait as wait
    from concurry_futures import wrap_future as wrap_future
    from concurry_limits import Acquisition as Acquisition
    from concurry_limits import AsyncAcquire as AsyncAcquire
    from concurry_limits import Backend as Backend
    from concurry_limits import CallLimit as CallLimit
    from concurry_limits import InProcessBackend as InProcessBackend
    from concurry_limits import Limit as Limit
    from concurry_limits import LimitBackendError as LimitBackendError
    from concurry_limits import LimitDefaults as LimitDefaults
    from concurry_limits import LimitError as LimitError
    from concurry_limits import LimitPool as LimitPool
    from concurry_limits import LimitSet as LimitSet
    from concurry_limits import LimitSetAcquisition as LimitSetAcquisition
    from concurry_limits import LimitTimeoutError as LimitTimeoutError
    from concurry_limits import LimitUsageError as LimitUsageError
    from concurry_limits import LimitUsageWarning as LimitUsageWarning
    from concurry_limits import LimitValidationError as LimitValidationError
    from concurry_limits import MultiprocessBackend as MultiprocessBackend
    from concurry_limits import PluginNotFoundError as PluginNotFoundError
    from concurry_limits import RateLimit as RateLimit
    from concurry_limits import RateLimitAlgorithm as RateLimitAlgorithm
    from concurry_limits import RateWindow as RateWindow
    from concurry_limits import RedisBackend as RedisBackend
    from concurry_limits import ResourceLimit as ResourceLimit
    from concurry_limits import Store as Store
    from concurry_limits import limit_defaults as limit_defaults
    from concurry_limits import limited as limited
    from concurry_limits import register_backend as register_backend

    # concurry[ray]: at run time these names exist only when it is installed
    from concurry_ray import RayFuture as RayFuture
    from concurry_ray import RayLimitBackend as RayLimitBackend
    from concurry_retry import Attempt as Attempt
    from concurry_retry import RetryAlgorithm as RetryAlgorithm
    from concurry_retry import RetryConfig as RetryConfig
    from concurry_retry import RetryConfigError as RetryConfigError
    from concurry_retry import RetryError as RetryError
    from concurry_retry import RetryInfo as RetryInfo
    from concurry_retry import Retrying as Retrying
    from concurry_retry import RetryValidationError as RetryValidationError
    from concurry_retry import async_execute_with_retry as async_execute_with_retry
    from concurry_retry import execute_with_retry as execute_with_retry
    from concurry_retry import is_testing as is_testing
    from concurry_retry import retry as retry
    from concurry_retry import retrying as retrying
    from concurry_retry import set_testing as set_testing
    from concurry_retry import testing as testing
    from concurry_workers import _NO_ARG as _NO_ARG
    from concurry_workers import _NO_ARG_TYPE as _NO_ARG_TYPE
    from concurry_workers import BACKEND_ENTRY_POINT_GROUP as BACKEND_ENTRY_POINT_GROUP
    from concurry_workers import BackendUnavailableError as BackendUnavailableError
    from concurry_workers import ExecutionMode as ExecutionMode
    from concurry_workers import Executor as Executor
    from concurry_workers import LoadBalancingAlgorithm as LoadBalancingAlgorithm
    from concurry_workers import RemoteTraceback as RemoteTraceback
    from concurry_workers import SerializationError as SerializationError
    from concurry_workers import TaskWorker as TaskWorker
    from concurry_workers import Worker as Worker
    from concurry_workers import WorkerBackend as WorkerBackend
    from concurry_workers import WorkerBuilder as WorkerBuilder
    from concurry_workers import WorkerDiedError as WorkerDiedError
    from concurry_workers import WorkerError as WorkerError
    from concurry_workers import WorkerPool as WorkerPool
    from concurry_workers import WorkerProxy as WorkerProxy
    from concurry_workers import WorkerRuntime as WorkerRuntime
    from concurry_workers import WorkerStoppedError as WorkerStoppedError
    from concurry_workers import global_config as global_config
    from concurry_workers import task as task
    from concurry_workers import temp_config as temp_config
    from concurry_workers import worker as worker

__version__ = "0.1.0"

__all__, __getattr__, __dir__ = lazy_module(__name__, EXPORTS)
