# Dense networks (the tsr_nn_* entry points), the f-GAN objectives (tsr_fdiv_objective_*) and
# QSGD (tsr_qsgd_*, the submodule `QSGD`); hand-written, included by Tessera.jl. UNTESTED at
# run time (no Julia on the build machines): bindings/python/tests/test_julia_sources.py checks
# every LibTessera call and struct construction here against the generated layer (names and
# argument counts) and the block structure of the file; see README.md.
#
# Julia is column-major like the C ABI: a batch of B samples with n features each is an
# `n × B` matrix (one sample per column), passed without a copy (strided views too; other
# arrays, and other element types, are converted first). Layers and class labels are 1-based
# here and converted to the C's 0-based values.

const NN_ACTIVATIONS = Dict{Symbol,UInt32}(:identity => LibTessera.TSR_NN_IDENTITY, :relu => LibTessera.TSR_NN_RELU,
                                           :leaky_relu => LibTessera.TSR_NN_LEAKY_RELU, :tanh => LibTessera.TSR_NN_TANH,
                                           :sigmoid => LibTessera.TSR_NN_SIGMOID, :softplus => LibTessera.TSR_NN_SOFTPLUS,
                                           :gelu => LibTessera.TSR_NN_GELU)
const NN_LOSSES = Dict{Symbol,UInt32}(:squared_error => LibTessera.TSR_NN_SQUARED_ERROR,
                                      :softmax_cross_entropy => LibTessera.TSR_NN_SOFTMAX_CROSS_ENTROPY,
                                      :logistic => LibTessera.TSR_NN_LOGISTIC)
const NN_OPTIMISERS = Dict{Symbol,UInt32}(:sgd => LibTessera.TSR_NN_SGD, :adam => LibTessera.TSR_NN_ADAM,
                                          :path_sgd => LibTessera.TSR_NN_PATH_SGD)
const FDIV_DIVERGENCES = Dict{Symbol,UInt32}(:kl => LibTessera.TSR_FDIV_KL, :reverse_kl => LibTessera.TSR_FDIV_REVERSE_KL,
                                             :pearson => LibTessera.TSR_FDIV_PEARSON, :neyman => LibTessera.TSR_FDIV_NEYMAN,
                                             :squared_hellinger => LibTessera.TSR_FDIV_SQUARED_HELLINGER,
                                             :jensen_shannon => LibTessera.TSR_FDIV_JENSEN_SHANNON,
                                             :gan => LibTessera.TSR_FDIV_GAN)

# A C code from a name (Symbol or string) of `table`, or an integer code (validated by the library).
_nncode(table, what, v::Symbol) =
    haskey(table, v) ? table[v] : throw(ArgumentError("$what must be one of $(sort!(collect(keys(table)))), not :$v"))
_nncode(table, what, v::AbstractString) = _nncode(table, what, Symbol(lowercase(v)))
function _nncode(table, what, v::Integer)
    0 <= v <= typemax(UInt32) || throw(ArgumentError("$what code $v is not a UInt32"))
    return UInt32(v)
end

function _nnname(table, code)
    for (k, v) in table
        v == code && return k
    end
    return Int(code)
end

_nn_dtype(::Type{Float32}) = UInt32(LibTessera.TSR_NN_F32)
_nn_dtype(::Type{Float64}) = UInt32(LibTessera.TSR_NN_F64)
_nn_dtype(T) = throw(ArgumentError("dtype must be Float32 or Float64, not $T"))

# The C options: the library's defaults with the given values (`nothing`: default) replaced.
function _nnoptions(dtype, seed::Integer, max_batch, num_threads::Integer)
    d = Ref{LibTessera.tsr_nn_options}()
    _check(LibTessera.tsr_nn_options_default(d))
    o = d[]
    return Ref(LibTessera.tsr_nn_options(o.struct_size, dtype === nothing ? o.dtype : _nn_dtype(dtype), UInt64(seed),
                                         max_batch === nothing ? o.max_batch : Int64(max_batch), Int32(num_threads)))
end

# Summary of a handle, as a named tuple (see `info`).
function _nninfo(ptr::Ptr{LibTessera.tsr_nn})
    S = LibTessera.tsr_nn_info
    i = Ref(S(UInt32(sizeof(S)), 0, 0, 0, 0, 0, 0, 0, 0, 0))
    _check(LibTessera.tsr_nn_get_info(ptr, i))
    s = i[]
    L = Int(s.nlayers)
    sizes = Vector{Int64}(undef, L + 1)
    acts = Vector{UInt32}(undef, L)
    _check(LibTessera.tsr_nn_layers(ptr, Int64(L), sizes, acts))
    return (dtype = s.dtype == LibTessera.TSR_NN_F32 ? Float32 : Float64, loss = _nnname(NN_LOSSES, s.loss),
            optimiser = _nnname(NN_OPTIMISERS, s.optimiser), nlayers = L, inputs = Int(s.inputs),
            outputs = Int(s.outputs), num_params = Int(s.num_params), max_batch = Int(s.max_batch),
            num_threads = Int(s.num_threads), sizes = Int[v for v in sizes],
            activations = Any[_nnname(NN_ACTIVATIONS, a) for a in acts])
end

"""
    Network(sizes, activations, loss; dtype = Float32, seed = 0, max_batch = nothing, num_threads = 0)

A dense feed-forward network (a `tsr_nn` handle, freed by a finalizer or early with `close`):
layer `l` maps `sizes[l]` inputs to `sizes[l + 1]` outputs and applies `activations[l]`
(`:identity`, `:relu`, `:leaky_relu`, `:tanh`, `:sigmoid`, `:softplus`, `:gelu`, or
`TSR_NN_*` codes); trained on `loss` (`:squared_error` and `:logistic` take targets,
`:softmax_cross_entropy` takes labels). `dtype` is `Float32` or `Float64`; `seed` seeds the
initialisation; `max_batch` is the largest batch the passes accept (`nothing`: 256);
`num_threads` those of the large products (0: automatic). The optimiser is Adam until
`set_optimiser!`. A network is callable: `net(x) == forward(net, x)`.
"""
mutable struct Network{T<:Union{Float32,Float64}}
    ptr::Ptr{LibTessera.tsr_nn}
    sizes::Vector{Int}
    function Network{T}(ptr::Ptr{LibTessera.tsr_nn}) where {T<:Union{Float32,Float64}}
        net = new{T}(ptr, Int[])
        finalizer(Base.close, net)
        net.sizes = _nninfo(ptr).sizes
        return net
    end
end

function Network(sizes, activations, loss; dtype::Type = Float32, seed::Integer = 0, max_batch = nothing,
                 num_threads::Integer = 0)
    s = Int64[v for v in sizes]
    acts = activations isa Union{Symbol,AbstractString,Integer} ? Any[activations] : collect(activations)
    codes = UInt32[_nncode(NN_ACTIVATIONS, "activation", a) for a in acts]
    # The C function reads length(sizes) - 1 codes: a shorter list must never reach it.
    length(codes) == max(length(s) - 1, 0) ||
        throw(DimensionMismatch("$(length(codes)) activations for $(length(s)) layer sizes (expected $(length(s) - 1))"))
    opts = _nnoptions(dtype, seed, max_batch, num_threads)
    out = Ref{Ptr{LibTessera.tsr_nn}}(C_NULL)
    _check(LibTessera.tsr_nn_new(Int64(length(s) - 1), s, codes, _nncode(NN_LOSSES, "loss", loss), opts, out))
    return Network{dtype}(out[])
end

# A Network around a fresh handle of either element type (from a parameter file).
function _adopt(ptr::Ptr{LibTessera.tsr_nn})
    dt = try
        _nninfo(ptr).dtype
    catch
        LibTessera.tsr_nn_free(ptr)
        rethrow()
    end
    return Network{dt}(ptr)
end

function Base.close(net::Network)
    ptr, net.ptr = net.ptr, C_NULL
    LibTessera.tsr_nn_free(ptr)  # NULL is a no-op
    return nothing
end

Base.show(io::IO, net::Network{T}) where {T} =
    net.ptr == C_NULL ? print(io, "Network{", T, "}(<closed>)") :
    print(io, "Network{", T, "}(", net.sizes, ", ", _nninfo(net.ptr).activations, ", :", _nninfo(net.ptr).loss, ")")

"""
    Tessera.info(net::Network)

Named tuple: `dtype`, `loss` and `optimiser` (Symbols), `nlayers`, `inputs`, `outputs`,
`num_params`, `max_batch`, `num_threads`, `sizes` (`nlayers + 1` widths), `activations`.
"""
info(net::Network) = _nninfo(net.ptr)

# ---- the typed entry points (one method per element type) ------------------------------------
_nn_forward(net::Network{Float32}, x, y) = LibTessera.tsr_nn_forward_f32(net.ptr, x, y)
_nn_forward(net::Network{Float64}, x, y) = LibTessera.tsr_nn_forward_f64(net.ptr, x, y)
_nn_backward(net::Network{Float32}, x, t, lab, gx, loss) = LibTessera.tsr_nn_backward_f32(net.ptr, x, t, lab, gx, loss)
_nn_backward(net::Network{Float64}, x, t, lab, gx, loss) = LibTessera.tsr_nn_backward_f64(net.ptr, x, t, lab, gx, loss)
_nn_vjp(net::Network{Float32}, x, up, gx) = LibTessera.tsr_nn_vjp_f32(net.ptr, x, up, gx)
_nn_vjp(net::Network{Float64}, x, up, gx) = LibTessera.tsr_nn_vjp_f64(net.ptr, x, up, gx)
_nn_step(net::Network{Float32}, g, len) = LibTessera.tsr_nn_step_f32(net.ptr, g, len)
_nn_step(net::Network{Float64}, g, len) = LibTessera.tsr_nn_step_f64(net.ptr, g, len)
_nn_train_step(net::Network{Float32}, x, t, lab, loss) = LibTessera.tsr_nn_train_step_f32(net.ptr, x, t, lab, loss)
_nn_train_step(net::Network{Float64}, x, t, lab, loss) = LibTessera.tsr_nn_train_step_f64(net.ptr, x, t, lab, loss)
_nn_params(net::Network{Float32}, p, n) = LibTessera.tsr_nn_params_f32(net.ptr, p, n)
_nn_params(net::Network{Float64}, p, n) = LibTessera.tsr_nn_params_f64(net.ptr, p, n)
_nn_gradient(net::Network{Float32}, p, n) = LibTessera.tsr_nn_gradient_f32(net.ptr, p, n)
_nn_gradient(net::Network{Float64}, p, n) = LibTessera.tsr_nn_gradient_f64(net.ptr, p, n)
_nn_layer_params(net::Network{Float32}, l, w, b) = LibTessera.tsr_nn_layer_params_f32(net.ptr, l, w, b)
_nn_layer_params(net::Network{Float64}, l, w, b) = LibTessera.tsr_nn_layer_params_f64(net.ptr, l, w, b)

# ---- batches, views, labels ---------------------------------------------------------------
function _nnbatch(::Type{T}, a::AbstractMatrix, name) where {T}
    return a isa StridedMatrix{T} ? a : Matrix{T}(a)
end
_nnbatch(::Type{T}, a::AbstractVector, name) where {T} =
    throw(ArgumentError("`$name` must be a features × batch matrix (reshape(v, :, 1) for one sample)"))
_nnbatch(::Type{T}, ::Nothing, name) where {T} = nothing

# The C view of a features × batch matrix (empty when `nothing`).
_nnref(::Type{T}, ::Nothing) where {T} = _refview(T)(Ptr{T}(C_NULL), 0, 0, 0, 0)
_nnref(::Type{T}, a::StridedMatrix{T}) where {T} = _refview(T)(pointer(a), size(a, 1), size(a, 2), stride(a, 1), stride(a, 2))
_nnmut(::Type{T}, ::Nothing) where {T} = _mutview(T)(Ptr{T}(C_NULL), 0, 0, 0, 0)
_nnmut(::Type{T}, a::StridedMatrix{T}) where {T} = _mutview(T)(pointer(a), size(a, 1), size(a, 2), stride(a, 1), stride(a, 2))

# 0-based UInt32 labels, one per sample (the C function cannot check their number).
function _nnlabels(labels, batch::Integer)
    labels === nothing && return nothing
    length(labels) == batch || throw(DimensionMismatch("$(length(labels)) labels for a batch of $batch samples"))
    out = Vector{UInt32}(undef, batch)
    for (k, l) in enumerate(labels)
        (l isa Integer && 1 <= l <= Int64(typemax(UInt32)) + 1) ||
            throw(ArgumentError("labels are 1-based class indices (got $l at $k)"))
        out[k] = UInt32(l - 1)
    end
    return out
end
_nnlabelptr(::Nothing) = Ptr{UInt32}(C_NULL)
_nnlabelptr(lab::Vector{UInt32}) = pointer(lab)

# ---- passes ---------------------------------------------------------------------------------
"""
    forward(net, x) -> y

The outputs (`sizes[end] × B`) of `net` on the inputs `x` (`sizes[1] × B`, one sample per
column). `forward!(net, y, x)` writes them into `y`.
"""
function forward(net::Network{T}, x::AbstractVecOrMat) where {T}
    xa = _nnbatch(T, x, "x")
    return forward!(net, Matrix{T}(undef, isempty(net.sizes) ? 0 : net.sizes[end], size(xa, 2)), xa)
end

function forward!(net::Network{T}, y::StridedMatrix{T}, x::AbstractVecOrMat) where {T}
    xa = _nnbatch(T, x, "x")
    GC.@preserve xa y begin
        _check(_nn_forward(net, _nnref(T, xa), _nnmut(T, y)))
    end
    return y
end

(net::Network)(x::AbstractVecOrMat) = forward(net, x)

"""
    backward(net, x; labels = nothing, targets = nothing, input_grad = false)

The batch's mean loss, keeping its parameter gradient in the network (`Tessera.gradient`;
parameters unchanged): `labels` (B class indices, **1-based**) for softmax cross-entropy,
`targets` (`sizes[end] × B`) for the other losses. With `input_grad = true` returns
`(loss, dL/dx)`.
"""
function backward(net::Network{T}, x::AbstractVecOrMat; labels = nothing, targets = nothing,
                  input_grad::Bool = false) where {T}
    xa = _nnbatch(T, x, "x")
    ta = _nnbatch(T, targets, "targets")
    lab = _nnlabels(labels, size(xa, 2))
    gx = input_grad ? Matrix{T}(undef, size(xa, 1), size(xa, 2)) : nothing
    loss = Ref{Cdouble}(NaN)
    GC.@preserve xa ta lab gx begin
        _check(_nn_backward(net, _nnref(T, xa), _nnref(T, ta), _nnlabelptr(lab), _nnmut(T, gx), loss))
    end
    return input_grad ? (loss[], gx) : loss[]
end

"""
    vjp(net, x, upstream; input_grad = true)

Vector-Jacobian product: with `upstream = ∂E/∂Y` (`sizes[end] × B`) for a function `E` of the
outputs, keeps `∂E/∂θ` as the network's gradient and returns `∂E/∂x` (`nothing` with
`input_grad = false`).
"""
function vjp(net::Network{T}, x::AbstractVecOrMat, upstream::AbstractVecOrMat; input_grad::Bool = true) where {T}
    xa = _nnbatch(T, x, "x")
    up = _nnbatch(T, upstream, "upstream")
    gx = input_grad ? Matrix{T}(undef, size(xa, 1), size(xa, 2)) : nothing
    GC.@preserve xa up gx begin
        _check(_nn_vjp(net, _nnref(T, xa), _nnref(T, up), _nnmut(T, gx)))
    end
    return gx
end

"""
    step!(net)
    step!(net, grad::AbstractVector)

One optimiser update, with the gradient kept by the last pass, or with `grad`
(`num_params` values laid out as `params(net)`, e.g. averaged over MPI ranks; copied first).
"""
function step!(net::Network{T}) where {T}
    _check(_nn_step(net, Ptr{T}(C_NULL), Int64(0)))
    return net
end

function step!(net::Network{T}, grad::AbstractVector) where {T}
    g = Vector{T}(grad)  # a copy: also when `grad` is the network's own gradient view
    GC.@preserve g begin
        _check(_nn_step(net, pointer(g), Int64(length(g))))
    end
    return net
end

"""
    train_step!(net, x; labels = nothing, targets = nothing) -> loss

`backward` then `step!` on one batch; returns the loss before the update.
"""
function train_step!(net::Network{T}, x::AbstractVecOrMat; labels = nothing, targets = nothing) where {T}
    xa = _nnbatch(T, x, "x")
    ta = _nnbatch(T, targets, "targets")
    lab = _nnlabels(labels, size(xa, 2))
    loss = Ref{Cdouble}(NaN)
    GC.@preserve xa ta lab begin
        _check(_nn_train_step(net, _nnref(T, xa), _nnref(T, ta), _nnlabelptr(lab), loss))
    end
    return loss[]
end

"""
    set_optimiser!(net, kind = :adam; learning_rate, momentum, beta1, beta2, epsilon, path_p)

Replaces the optimiser (its state starts afresh): `:sgd` (with `momentum`), `:adam` (`beta1`,
`beta2`, `epsilon`) or `:path_sgd` (exponent `path_p`), or a `TSR_NN_*` code. Unset keywords
take the library's defaults (learning rate 0.01 for SGD and Path-SGD, 0.001 for Adam).
"""
function set_optimiser!(net::Network, kind = :adam; learning_rate = nothing, momentum = nothing, beta1 = nothing,
                        beta2 = nothing, epsilon = nothing, path_p = nothing)
    d = Ref{LibTessera.tsr_nn_optimiser_options}()
    _check(LibTessera.tsr_nn_optimiser_options_default(d))
    o = d[]
    pick(v, default) = v === nothing ? default : Float64(v)
    opts = Ref(LibTessera.tsr_nn_optimiser_options(o.struct_size, _nncode(NN_OPTIMISERS, "optimiser", kind),
                                                   pick(learning_rate, o.learning_rate), pick(momentum, o.momentum),
                                                   pick(beta1, o.beta1), pick(beta2, o.beta2), pick(epsilon, o.epsilon),
                                                   pick(path_p, o.path_p)))
    _check(LibTessera.tsr_nn_set_optimiser(net.ptr, opts))
    return net
end

# ---- views of the parameter and gradient buffers ---------------------------------------------
"""
    NetworkArray{T,N}

A view of a buffer inside a `Network` (`params`, `Tessera.gradient`, `Tessera.weights`,
`Tessera.bias`): reads and writes go to the network's own memory. It holds a reference to the
network, so the network is not finalized while a view is reachable; after `close(net)` every
access throws. The gradient view is read-only. `copy(a)` gives an ordinary `Array`.
"""
struct NetworkArray{T,N} <: AbstractArray{T,N}
    net::Network{T}
    data::Array{T,N}  # unsafe_wrap of the handle's memory; valid while `net` is open
    writable::Bool
end

function _alive(a::NetworkArray)
    a.net.ptr == C_NULL && throw(ArgumentError("the Network of this view has been closed"))
    return nothing
end

Base.size(a::NetworkArray) = size(a.data)
Base.IndexStyle(::Type{<:NetworkArray}) = IndexLinear()
Base.@propagate_inbounds function Base.getindex(a::NetworkArray, i::Int)
    _alive(a)
    return a.data[i]
end
Base.@propagate_inbounds function Base.setindex!(a::NetworkArray, v, i::Int)
    _alive(a)
    a.writable || throw(ArgumentError("the gradient view is read-only (copy it to change it)"))
    a.data[i] = v
    return a
end
Base.copy(a::NetworkArray) = (_alive(a); copy(a.data))

"""
    params(net) -> NetworkArray{T,1}

The parameter buffer (`num_params` values; per layer `W_l` column-major, then `b_l`, as in
docs/nn.md): a writable view, so `params(net) .= p` or `params(net)[k] += h` change the network.
"""
function params(net::Network{T}) where {T}
    p = Ref{Ptr{T}}(C_NULL)
    n = Ref{Int64}(0)
    _check(_nn_params(net, p, n))
    return NetworkArray(net, unsafe_wrap(Array, p[], Int(n[])), true)
end

"""
    Tessera.gradient(net) -> NetworkArray{T,1}

The gradient of the last backward pass, VJP or step (zeros before any), laid out as
`params(net)`; read-only and overwritten by the next pass (`copy` it to keep it).
"""
function gradient(net::Network{T}) where {T}
    p = Ref{Ptr{T}}(C_NULL)
    n = Ref{Int64}(0)
    _check(_nn_gradient(net, p, n))
    return NetworkArray(net, unsafe_wrap(Array, p[], Int(n[])), false)
end

function _layer_views(net::Network{T}, layer::Integer) where {T}
    w = Ref{_mutview(T)}()
    b = Ref{_mutview(T)}()
    _check(_nn_layer_params(net, Int64(layer - 1), w, b))
    return w[], b[]
end

"""
    Tessera.weights(net, l) -> NetworkArray{T,2}
    Tessera.bias(net, l) -> NetworkArray{T,1}

Writable views of layer `l`'s (**1-based**) weights, `sizes[l + 1] × sizes[l]` (`W[i, j]` is the
weight from input `j` to output `i`, so layer `l` computes `f.(W * a .+ b)`), and bias.
"""
function weights(net::Network{T}, layer::Integer) where {T}
    w, _ = _layer_views(net, layer)
    (w.row_stride == 1 && w.col_stride == w.nrows) || error("unexpected weight layout $(w.row_stride), $(w.col_stride)")
    return NetworkArray(net, unsafe_wrap(Array, w.ptr, (Int(w.nrows), Int(w.ncols))), true)
end

function bias(net::Network{T}, layer::Integer) where {T}
    _, b = _layer_views(net, layer)
    return NetworkArray(net, unsafe_wrap(Array, b.ptr, Int(b.nrows)), true)
end

# ---- parameter files ------------------------------------------------------------------------
function _cpath(path::AbstractString)
    s = String(path)
    '\0' in s && throw(ArgumentError("the path contains a NUL character"))
    return s
end

"""
    Tessera.to_bytes(net) -> Vector{UInt8}
    Tessera.from_bytes(bytes; max_batch = nothing, num_threads = 0) -> Network
    Tessera.save(path, net)
    Tessera.load(path; max_batch = nothing, num_threads = 0) -> Network

The network (spec and parameters, not the optimiser's state) in the parameter file format of
docs/nn.md. The file decides the element type. Truncated or corrupted data throws
`TSR_ERR_BAD_DATA`, a file that cannot be read or written `TSR_ERR_IO`.
"""
function to_bytes(net::Network)
    n = Ref{Int64}(0)
    _check(LibTessera.tsr_nn_save_bytes(net.ptr, Ptr{UInt8}(C_NULL), Int64(0), n))
    buf = Vector{UInt8}(undef, n[])
    _check(LibTessera.tsr_nn_save_bytes(net.ptr, buf, Int64(length(buf)), n))
    return resize!(buf, n[])
end

function from_bytes(bytes::AbstractVector{UInt8}; max_batch = nothing, num_threads::Integer = 0)
    b = bytes isa Vector{UInt8} ? bytes : Vector{UInt8}(bytes)
    opts = _nnoptions(nothing, 0, max_batch, num_threads)
    out = Ref{Ptr{LibTessera.tsr_nn}}(C_NULL)
    _check(LibTessera.tsr_nn_load_bytes(b, Int64(length(b)), opts, out))
    return _adopt(out[])
end

function save(path::AbstractString, net::Network)
    _check(LibTessera.tsr_nn_save(net.ptr, _cpath(path)))
    return path
end

function load(path::AbstractString; max_batch = nothing, num_threads::Integer = 0)
    opts = _nnoptions(nothing, 0, max_batch, num_threads)
    out = Ref{Ptr{LibTessera.tsr_nn}}(C_NULL)
    _check(LibTessera.tsr_nn_load(_cpath(path), opts, out))
    return _adopt(out[])
end

# ---- f-divergence objectives ----------------------------------------------------------------
_fdiv(::Type{Float32}, d, np, p, nq, q, f, gp, gq) = LibTessera.tsr_fdiv_objective_f32(d, np, p, nq, q, f, gp, gq)
_fdiv(::Type{Float64}, d, np, p, nq, q, f, gp, gq) = LibTessera.tsr_fdiv_objective_f64(d, np, p, nq, q, f, gp, gq)
_ptr_or_null(::Type{T}, ::Nothing) where {T} = Ptr{T}(C_NULL)
_ptr_or_null(::Type{T}, a::Array{T}) where {T} = pointer(a)

"""
    fdiv_objective(divergence, v_p, v_q; grad = false)

The f-GAN variational objective `F = mean g_f(v_p) − mean f*(g_f(v_q))` of raw critic outputs
`v_p` (on samples of P) and `v_q` (on samples of Q) for `divergence` (`:kl`, `:reverse_kl`,
`:pearson`, `:neyman`, `:squared_hellinger`, `:jensen_shannon`, `:gan`, or a `TSR_FDIV_*` code).
The critic maximises F, the generator minimises it; at P = Q with the optimal critic F = f(1)
(0, or −ln 4 for `:gan`). Arrays of any shape (e.g. a critic's `1 × B` outputs); with
`grad = true` returns `(F, ∂F/∂v_p, ∂F/∂v_q)` in their shapes (ready as the `upstream` of
`vjp`). Float32 when both are Float32 arrays, else Float64.
"""
function fdiv_objective(divergence, v_p::AbstractArray{<:Real}, v_q::AbstractArray{<:Real}; grad::Bool = false)
    code = _nncode(FDIV_DIVERGENCES, "divergence", divergence)
    T = eltype(v_p) === Float32 && eltype(v_q) === Float32 ? Float32 : Float64
    p = v_p isa Array{T} ? v_p : Array{T}(v_p)
    q = v_q isa Array{T} ? v_q : Array{T}(v_q)
    f = Ref{Cdouble}(NaN)
    gp = grad ? similar(p) : nothing
    gq = grad ? similar(q) : nothing
    GC.@preserve p q gp gq begin
        _check(_fdiv(T, code, Int64(length(p)), pointer(p), Int64(length(q)), pointer(q), f, _ptr_or_null(T, gp),
                     _ptr_or_null(T, gq)))
    end
    return grad ? (f[], gp, gq) : f[]
end

"""
    Tessera.QSGD

QSGD (Alistarh et al. 2017): the unbiased stochastic quantiser Q_s and its Elias-coded,
checksummed byte stream.

    const Q = Tessera.QSGD
    bytes = Q.encode(g; levels = 16, bucket_size = 512, norm = :l2, seed = 0)
    Q.decode(bytes) == vec(Q.quantize(g; ...))      # bit for bit
    Q.stream_info(bytes)                            # n, levels, bits_per_coordinate, ...

Values are Float32 or Float64 arrays (other element types are converted to Float64), taken in
memory (column-major, `vec`) order; a Float32 input gives a Float32 stream. Unset options keep
the library's defaults (`levels` 16, `bucket_size` 512 with 0 = one bucket, `norm` `:l2` or
`:max`, `seed` 0). Failures throw `TesseraError` (`TSR_ERR_BAD_DATA` for truncated or corrupted
bytes, `TSR_ERR_WRONG_DTYPE` for decoding as the other element type, ...).
"""
module QSGD

using ..Tessera: LibTessera, _check

export encode, decode, quantize, stream_info, max_encoded_len

const NORMS = Dict{Symbol,UInt32}(:l2 => LibTessera.TSR_QSGD_NORM_L2, :max => LibTessera.TSR_QSGD_NORM_MAX)

_norm(::Nothing, default) = default
_norm(v::Symbol, default) = haskey(NORMS, v) ? NORMS[v] : throw(ArgumentError("norm must be :l2 or :max, not :$v"))
_norm(v::Integer, default) = UInt32(v)  # a TSR_QSGD_NORM_* code; the library validates it

function _options(levels, bucket_size, norm, seed)
    d = Ref{LibTessera.tsr_qsgd_options}()
    _check(LibTessera.tsr_qsgd_options_default(d))
    o = d[]
    return Ref(LibTessera.tsr_qsgd_options(o.struct_size, levels === nothing ? o.levels : UInt32(levels),
                                           bucket_size === nothing ? o.bucket_size : Int64(bucket_size),
                                           _norm(norm, o.norm), seed === nothing ? o.seed : UInt64(seed)))
end

_values(v::AbstractArray{Float32}) = v isa Array{Float32} ? v : Array{Float32}(v)
_values(v::AbstractArray{<:Real}) = v isa Array{Float64} ? v : Array{Float64}(v)
_bytes(b::AbstractVector{UInt8}) = b isa Vector{UInt8} ? b : Vector{UInt8}(b)

_max_len(::Type{Float32}, n, o, len) = LibTessera.tsr_qsgd_max_encoded_len_f32(n, o, len)
_max_len(::Type{Float64}, n, o, len) = LibTessera.tsr_qsgd_max_encoded_len_f64(n, o, len)
_encode(::Type{Float32}, n, v, o, buf, cap, len) = LibTessera.tsr_qsgd_encode_f32(n, v, o, buf, cap, len)
_encode(::Type{Float64}, n, v, o, buf, cap, len) = LibTessera.tsr_qsgd_encode_f64(n, v, o, buf, cap, len)
_decode(::Type{Float32}, buf, len, n, out) = LibTessera.tsr_qsgd_decode_f32(buf, len, n, out)
_decode(::Type{Float64}, buf, len, n, out) = LibTessera.tsr_qsgd_decode_f64(buf, len, n, out)
_quantize(::Type{Float32}, n, v, o, out) = LibTessera.tsr_qsgd_quantize_f32(n, v, o, out)
_quantize(::Type{Float64}, n, v, o, out) = LibTessera.tsr_qsgd_quantize_f64(n, v, o, out)

"""
    max_encoded_len(n, T = Float64; levels, bucket_size, norm) -> Int

An upper bound on the bytes of the stream of any `n` values of type `T` with these options.
"""
max_encoded_len(n::Integer; kwargs...) = max_encoded_len(n, Float64; kwargs...)

function max_encoded_len(n::Integer, ::Type{T}; levels = nothing, bucket_size = nothing,
                         norm = nothing) where {T<:Union{Float32,Float64}}
    opts = _options(levels, bucket_size, norm, nothing)
    len = Ref{Int64}(0)
    _check(_max_len(T, Int64(n), opts, len))
    return Int(len[])
end

"""
    encode(v; levels, bucket_size, norm, seed) -> Vector{UInt8}

Q_s(v) as a stream (header, Elias-coded levels, scales, checksum).
"""
function encode(v::AbstractArray{<:Real}; levels = nothing, bucket_size = nothing, norm = nothing, seed = nothing)
    a = _values(v)
    T = eltype(a)
    opts = _options(levels, bucket_size, norm, seed)
    cap = Ref{Int64}(0)
    _check(_max_len(T, Int64(length(a)), opts, cap))
    buf = Vector{UInt8}(undef, max(cap[], 1))
    len = Ref{Int64}(0)
    GC.@preserve a buf begin
        _check(_encode(T, Int64(length(a)), pointer(a), opts, pointer(buf), Int64(length(buf)), len))
    end
    return resize!(buf, len[])
end

"""
    quantize(v; levels, bucket_size, norm, seed)

Q_s(v) itself, in the shape of `v`: exactly the values `decode(encode(v; ...))` gives.
"""
function quantize(v::AbstractArray{<:Real}; levels = nothing, bucket_size = nothing, norm = nothing, seed = nothing)
    a = _values(v)
    T = eltype(a)
    opts = _options(levels, bucket_size, norm, seed)
    out = similar(a)
    GC.@preserve a out begin
        _check(_quantize(T, Int64(length(a)), pointer(a), opts, pointer(out)))
    end
    return out
end

"""
    stream_info(bytes)

What a stream's header says, after checking its length and checksum, as a named tuple:
`dtype` (Float32 or Float64), `n`, `levels`, `norm` (`:l2` or `:max`), `bucket_size`,
`payload_bits`, `total_bytes`, `bits_per_coordinate`.
"""
function stream_info(bytes::AbstractVector{UInt8})
    b = _bytes(bytes)
    S = LibTessera.tsr_qsgd_stream_info
    i = Ref(S(UInt32(sizeof(S)), 0, 0, 0, 0, 0, 0, 0, 0.0))
    GC.@preserve b begin
        _check(LibTessera.tsr_qsgd_get_stream_info(pointer(b), Int64(length(b)), i))
    end
    s = i[]
    norm = s.norm == NORMS[:l2] ? :l2 : s.norm == NORMS[:max] ? :max : Int(s.norm)
    dtype = s.dtype == LibTessera.TSR_NN_F32 ? Float32 : s.dtype == LibTessera.TSR_NN_F64 ? Float64 : Int(s.dtype)
    return (dtype = dtype, n = Int(s.n), levels = Int(s.levels), norm = norm, bucket_size = Int(s.bucket_size),
            payload_bits = Int(s.payload_bits), total_bytes = Int(s.total_bytes),
            bits_per_coordinate = s.bits_per_coordinate)
end

"""
    decode(bytes) -> Vector
    decode(bytes, T) -> Vector{T}

The values a stream holds (exactly the encoded Q_s(v), as a vector). Without `T` the stream's
own element type; with `T` (Float32 or Float64) that one, `TSR_ERR_WRONG_DTYPE` if the stream
holds the other.
"""
function decode(bytes::AbstractVector{UInt8}, T::Union{Nothing,Type} = nothing)
    b = _bytes(bytes)
    s = stream_info(b)
    E = T === nothing ? s.dtype : T
    (E === Float32 || E === Float64) || throw(ArgumentError("the element type must be Float32 or Float64, not $E"))
    out = Vector{E}(undef, s.n)
    GC.@preserve b out begin
        _check(_decode(E, pointer(b), Int64(length(b)), Int64(s.n), pointer(out)))
    end
    return out
end

end # module QSGD
