// TensorFlow ops for the airbench-net kernels that TensorFlow itself lacks, registered at run
// time through TensorFlow's stable C kernel API (tensorflow/c/kernels.h, ops.h): no C++ ABI is
// shared with the wheel's libraries, only C symbols of libtensorflow_framework.
//
// AirbenchGeluWithSlope: y = x·Φ(x) (exact GELU, Φ the normal CDF) and its slope Φ(x) + x·φ(x),
// in one pass over x; AirbenchGelu: y only (evaluation). TensorFlow has no GELU op (tf.nn.gelu is
// a chain of Mul, Erf, Add), and the training step's GELU with its slope was eleven elementwise
// ops over every activation, each a pass through memory: ~6× this op's time on 2 cores.
//
// Loaded by examples/backend after tfjs-node (`loadNativeOps`); airbench-net finds the op by name
// (native/probes.ts) and otherwise keeps its tfjs ops.

#include <node_api.h>

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

namespace {

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
// Elements per block: the block's Φ(x) stays in L1 between the two outputs.
constexpr int64_t kBlock = 2048;
// Below this many elements one thread does the whole tensor (a thread start costs ~20 µs).
constexpr int64_t kSerialBelow = 1 << 16;

void geluBlock(const float* x, float* y, float* slope, int64_t n) {
  alignas(64) float cdf[kBlock];
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t m = std::min(kBlock, n - start);
    Eigen::Map<const Eigen::ArrayXf> xs(x + start, m);
    Eigen::Map<Eigen::ArrayXf> c(cdf, m);
    c = 0.5f * (1.0f + (xs * kSqrtHalf).erf());
    Eigen::Map<Eigen::ArrayXf>(y + start, m) = xs * c;
    Eigen::Map<Eigen::ArrayXf>(slope + start, m) = c + xs * (-0.5f * xs.square()).exp() * kInvSqrt2Pi;
  }
}

void geluOnlyBlock(const float* x, float* y, float*, int64_t n) {
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t m = std::min(kBlock, n - start);
    Eigen::Map<const Eigen::ArrayXf> xs(x + start, m);
    Eigen::Map<Eigen::ArrayXf>(y + start, m) = xs * (0.5f * (1.0f + (xs * kSqrtHalf).erf()));
  }
}

using Block = void (*)(const float*, float*, float*, int64_t);

// The C kernel API gives no access to TensorFlow's thread pool: one std::thread per core.
void parallel(Block block, const float* x, float* y, float* slope, int64_t n) {
  const int64_t threads = n < kSerialBelow ? 1 : std::max(1u, std::thread::hardware_concurrency());
  if (threads == 1) return block(x, y, slope, n);
  // Chunks aligned to 16 floats (64 bytes) so no two threads write one cache line.
  const int64_t chunk = ((n + threads - 1) / threads + 15) / 16 * 16;
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads && t * chunk < n; t++) {
    const int64_t begin = t * chunk, count = std::min(chunk, n - begin);
    pool.emplace_back(block, x + begin, y + begin, slope ? slope + begin : nullptr, count);
  }
  block(x, y, slope, std::min(chunk, n));
  for (auto& thread : pool) thread.join();
}

void* createKernel(TF_OpKernelConstruction*) { return nullptr; }
void deleteKernel(void*) {}

// Both ops: float x in, `outputs` float tensors of x's shape out (y, then the slope).
template <Block block, int outputs>
void compute(void*, TF_OpKernelContext* ctx) {
  TF_Status* status = TF_NewStatus();
  TF_Tensor* x = nullptr;
  TF_Tensor* out[2] = {nullptr, nullptr};
  TF_GetInput(ctx, 0, &x, status);
  if (TF_GetCode(status) == TF_OK) {
    const int rank = TF_NumDims(x);
    std::vector<int64_t> dims(rank);
    for (int i = 0; i < rank; i++) dims[i] = TF_Dim(x, i);
    for (int i = 0; i < outputs && TF_GetCode(status) == TF_OK; i++) {
      out[i] = TF_AllocateOutput(ctx, i, TF_FLOAT, dims.data(), rank, TF_TensorByteSize(x), status);
    }
    if (TF_GetCode(status) == TF_OK) {
      parallel(block, static_cast<const float*>(TF_TensorData(x)), static_cast<float*>(TF_TensorData(out[0])),
               outputs > 1 ? static_cast<float*>(TF_TensorData(out[1])) : nullptr, TF_TensorElementCount(x));
    }
  }
  if (TF_GetCode(status) != TF_OK) TF_OpKernelContext_Failure(ctx, status);
  TF_DeleteTensor(x);
  for (TF_Tensor* tensor : out) TF_DeleteTensor(tensor);
  TF_DeleteStatus(status);
}

template <int outputs>
void sameShapeAsInput(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* shape = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, shape, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, shape, status);
  for (int i = 1; i < outputs && TF_GetCode(status) == TF_OK; i++) TF_ShapeInferenceContextSetOutput(ctx, i, shape, status);
  TF_DeleteShapeHandle(shape);
}

constexpr const char* kOps[] = {"AirbenchGeluWithSlope", "AirbenchGelu"};

template <Block block, int outputs>
void registerOp(const char* name, TF_Status* status) {
  TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(name);
  TF_OpDefinitionBuilderAddInput(op, "x: float");
  TF_OpDefinitionBuilderAddOutput(op, "y: float");
  if (outputs > 1) TF_OpDefinitionBuilderAddOutput(op, "slope: float");
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, &sameShapeAsInput<outputs>);
  TF_RegisterOpDefinition(op, status);
  if (TF_GetCode(status) != TF_OK) return;
  TF_KernelBuilder* kernel = TF_NewKernelBuilder(name, "CPU", &createKernel, &compute<block, outputs>, &deleteKernel);
  TF_RegisterKernelBuilder((std::string(name) + "Op").c_str(), kernel, status);
}

// Registers the ops once per process (TensorFlow refuses a second definition); returns its error, if any.
std::string registerOps() {
  static const std::string error = [] {
    TF_Status* status = TF_NewStatus();
    registerOp<geluBlock, 2>(kOps[0], status);
    if (TF_GetCode(status) == TF_OK) registerOp<geluOnlyBlock, 1>(kOps[1], status);
    std::string message = TF_GetCode(status) == TF_OK ? "" : TF_Message(status);
    TF_DeleteStatus(status);
    return message;
  }();
  return error;
}

// JavaScript: register() → the names of the ops now available; throws with TensorFlow's message.
napi_value Register(napi_env env, napi_callback_info) {
  const std::string error = registerOps();
  if (!error.empty()) {
    napi_throw_error(env, nullptr, error.c_str());
    return nullptr;
  }
  napi_value names;
  napi_create_array_with_length(env, std::size(kOps), &names);
  for (size_t i = 0; i < std::size(kOps); i++) {
    napi_value name;
    napi_create_string_utf8(env, kOps[i], NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, i, name);
  }
  return names;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "register", NAPI_AUTO_LENGTH, Register, nullptr, &fn);
  napi_set_named_property(env, exports, "register", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
