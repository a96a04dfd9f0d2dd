# Tensor completion, Tucker decomposition and interpretable components (the tsr_tensor_*
# entry points); hand-written, included by Tessera.jl. UNTESTED (no Julia on the build
# machines): see README.md.
#
# Julia arrays are column-major, exactly the C layout: an Array{Float64,N} is passed without a
# copy (other arrays are converted first). Modes are 1-based here (`mode = 1` is the first
# dimension); coordinates are 1-based `N × nobs` integer matrices.

const _METHODS = Dict(:overlapped => LibTessera.TSR_TENSOR_OVERLAPPED,
                      :latent => LibTessera.TSR_TENSOR_LATENT,
                      :as_matrix => LibTessera.TSR_TENSOR_AS_MATRIX)
const _WEIGHTS = Dict(:ones => LibTessera.TSR_TENSOR_WEIGHTS_ONES, :scaled => LibTessera.TSR_TENSOR_WEIGHTS_SCALED)

"""
    CompletionInfo

What a completion did: `status` (`TSR_OK`, `TSR_ERR_NOT_CONVERGED` or `TSR_ERR_CANCELLED`),
`name`, `message`, `converged`, `iterations`, `eta`, `objective`, `dual_objective`,
`duality_gap`, `primal_residual`, `data_residual`, `ranks` and `component_ranks` (one per mode).
"""
struct CompletionInfo
    status::UInt32
    name::String
    message::String
    converged::Bool
    iterations::Int
    eta::Float64
    objective::Float64
    dual_objective::Float64
    duality_gap::Float64
    primal_residual::Float64
    data_residual::Float64
    ranks::Vector{Int}
    component_ranks::Vector{Int}
end

mutable struct _ProgressState
    f::Any
    err::Any
end

function _progress_trampoline(user::Ptr{Cvoid}, p::Ptr{LibTessera.tsr_progress})::Int32
    state = unsafe_pointer_to_objref(user)::_ProgressState
    state.err === nothing || return Int32(1)
    try
        r = unsafe_load(p)
        stop = state.f((iteration = Int(r.iteration), objective = r.objective, gap = r.gap, residual = r.residual))
        return stop === true ? Int32(1) : Int32(0)
    catch e
        state.err = e
        return Int32(1)
    end
end

function _tensor_options(ndim::Integer, method, mode, weights, lambda, eta, tol, max_iter, rank_threshold,
                         num_threads, gamma::Vector{Float64}, progress_fn::Ptr{Cvoid}, progress_user::Ptr{Cvoid})
    d = Ref{LibTessera.tsr_tensor_options}()
    _check(LibTessera.tsr_tensor_options_default(d))
    if method isa Symbol
        haskey(_METHODS, method) || throw(ArgumentError("method must be one of $(collect(keys(_METHODS))), not :$method"))
        m = _METHODS[method]
    else
        m = UInt32(method)  # a TSR_TENSOR_* code; the library validates it
    end
    if weights isa Symbol
        haskey(_WEIGHTS, weights) || throw(ArgumentError("weights must be :ones, :scaled or a vector, not :$weights"))
        w = _WEIGHTS[weights]
        gptr = Ptr{Cdouble}(C_NULL)
    else
        # The C function reads `ndim` weights: a shorter vector must never reach it.
        length(gamma) == ndim || throw(ArgumentError("$(length(gamma)) weights for a tensor of order $ndim"))
        w = LibTessera.TSR_TENSOR_WEIGHTS_CUSTOM
        gptr = pointer(gamma)
    end
    o = d[]
    return Ref(LibTessera.tsr_tensor_options(o.struct_size, UInt32(m), Int32(mode - 1), UInt32(w), gptr, Float64(lambda),
                                             eta === nothing ? 0.0 : Float64(eta), Float64(tol), Int64(max_iter),
                                             Float64(rank_threshold), Int32(num_threads), progress_fn, progress_user))
end

function _empty_info()
    z = ntuple(_ -> Int64(0), LibTessera.TSR_TENSOR_MAX_ORDER)
    return Ref(LibTessera.tsr_tensor_info(UInt32(sizeof(LibTessera.tsr_tensor_info)), 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, z, z))
end

function _finish_completion(st, info::LibTessera.tsr_tensor_info, k::Integer, state)
    msg = unsafe_string(LibTessera.tsr_last_error_message())
    state === nothing || state.err === nothing || throw(state.err)
    if st != LibTessera.TSR_OK && st != LibTessera.TSR_ERR_NOT_CONVERGED && st != LibTessera.TSR_ERR_CANCELLED
        throw(TesseraError(UInt32(st), unsafe_string(LibTessera.tsr_status_str(st)), msg))
    end
    st == LibTessera.TSR_ERR_NOT_CONVERGED && @warn "Tessera.complete: $msg"
    kk = min(k, LibTessera.TSR_TENSOR_MAX_ORDER)
    return CompletionInfo(UInt32(st), unsafe_string(LibTessera.tsr_status_str(st)), msg, st == LibTessera.TSR_OK,
                          Int(info.iterations), info.eta, info.objective, info.dual_objective, info.duality_gap,
                          info.primal_residual, info.data_residual, Int[info.ranks[i] for i in 1:kk],
                          Int[info.component_ranks[i] for i in 1:kk])
end

# Runs `call(options_ref, info_ref)` with the options and the progress trampoline set up.
function _run_completion(call, ndim::Integer; method = :overlapped, mode::Integer = 1, weights = :ones,
                         lambda::Real = 0.0, eta = nothing, tol::Real = 1e-3, max_iter::Integer = 2000,
                         rank_threshold::Real = 0.01, num_threads::Integer = 0, progress = nothing)
    gamma = weights isa Symbol ? Float64[] : Vector{Float64}(collect(weights))
    state = progress === nothing ? nothing : _ProgressState(progress, nothing)
    fptr = progress === nothing ? C_NULL :
           @cfunction(_progress_trampoline, Int32, (Ptr{Cvoid}, Ptr{LibTessera.tsr_progress}))
    GC.@preserve gamma state begin
        uptr = state === nothing ? C_NULL : pointer_from_objref(state)
        opts = _tensor_options(ndim, method, mode, weights, lambda, eta, tol, max_iter, rank_threshold, num_threads,
                               gamma, fptr, uptr)
        info = _empty_info()
        st = call(opts, info)
        return _finish_completion(st, info[], ndim, state)
    end
end

"""
    complete(values::AbstractArray{<:Real,N}, mask = .!isnan.(values); method = :overlapped,
             mode = 1, weights = :ones, lambda = 0.0, eta = nothing, tol = 1e-3, max_iter = 2000,
             rank_threshold = 0.01, num_threads = 0, progress = nothing) -> (estimate, info)

Completes (or, with every entry observed, denoises) a tensor of order 1–16 by trace-norm
minimisation. `mask` is true (nonzero) where an entry is observed; other values are not read.
`method` is `:overlapped`, `:latent` or `:as_matrix` (with `mode`, 1-based); `weights` is
`:ones`, `:scaled` or a vector of `N` positive weights. `progress(p)` (fields `iteration`,
`objective`, `gap`, `residual`) is called on this thread after every iteration; returning
`true` cancels. Returns the estimate (an `Array{Float64,N}` of the same size) and a
[`CompletionInfo`](@ref). `TSR_ERR_NOT_CONVERGED` (with a warning) and `TSR_ERR_CANCELLED`
return the best iterate with that `info.status`; every other failure throws [`TesseraError`](@ref).
"""
function complete(values::AbstractArray{<:Real,N}, mask::AbstractArray = .!isnan.(values); kwargs...) where {N}
    size(mask) == size(values) || throw(DimensionMismatch("mask has size $(size(mask)), values $(size(values))"))
    v = values isa Array{Float64,N} ? values : Array{Float64,N}(values)
    m = Array{UInt8,N}(mask .!= 0)
    shape = Int64[size(v)...]
    est = Array{Float64,N}(undef, size(v))
    info = GC.@preserve v m shape est begin
        _run_completion(N; kwargs...) do opts, inf
            LibTessera.tsr_tensor_complete_dense_f64(Int32(N), pointer(shape), pointer(v), pointer(m), opts, pointer(est), inf)
        end
    end
    return est, info
end

"""
    complete(values::AbstractVector{<:Real}, coords::AbstractMatrix{<:Integer}, dims; kwargs...)

Coordinate form: `coords[:, j]` is the 1-based index of observation `j`, `values[j]` its value,
`dims` the size of the tensor. Keywords and results as the dense form.
"""
function complete(values::AbstractVector{<:Real}, coords::AbstractMatrix{<:Integer}, dims::Dims{N}; kwargs...) where {N}
    size(coords) == (N, length(values)) ||
        throw(DimensionMismatch("coords has size $(size(coords)), expected ($N, $(length(values)))"))
    c = Matrix{Int64}(coords) .- 1
    v = Vector{Float64}(values)
    shape = Int64[dims...]
    est = all(>(0), dims) ? Array{Float64,N}(undef, dims) : Array{Float64,N}(undef, ntuple(_ -> 1, N))
    info = GC.@preserve c v shape est begin
        _run_completion(N; kwargs...) do opts, inf
            LibTessera.tsr_tensor_complete_coo_f64(Int32(N), pointer(shape), Int64(length(v)), pointer(c), pointer(v), opts,
                                                   pointer(est), inf)
        end
    end
    return est, info
end

function _factor_buffers(dims, cols)
    mats = [Matrix{Float64}(undef, max(Int(n), 1), max(Int(c), 1)) for (n, c) in zip(dims, cols)]
    return mats, Ptr{Cdouble}[pointer(m) for m in mats]
end

"""
    tucker(x::AbstractArray{<:Real,N}, ranks; num_threads = 0) -> (core, factors)

Tucker decomposition with multilinear `ranks` (e.g. `info.ranks`): `core` is an array of size
`ranks`, `factors[k]` a `size(x, k) × ranks[k]` matrix with orthonormal columns.
"""
function tucker(x::AbstractArray{<:Real,N}, ranks; num_threads::Integer = 0) where {N}
    length(ranks) == N || throw(DimensionMismatch("$(length(ranks)) ranks for a tensor of order $N"))
    a = x isa Array{Float64,N} ? x : Array{Float64,N}(x)
    r = Int64[ranks...]
    shape = Int64[size(a)...]
    core = Array{Float64,N}(undef, Tuple(max.(Int.(r), 1)))
    factors, ptrs = _factor_buffers(size(a), r)
    GC.@preserve a r shape core factors ptrs begin
        _check(LibTessera.tsr_tensor_tucker_f64(Int32(N), pointer(shape), pointer(a), pointer(r), Int32(num_threads),
                                                pointer(core), pointer(ptrs)))
    end
    return core, factors
end

"""
    components(x::AbstractArray{<:Real,N}, ranks, rank = 1; max_iter, tol, seed) -> (weights, loadings, fit)

Interpretable components (Tomioka, Hayashi, Kashima 2011): `x ≈ Σ_c weights[c] ·
loadings[1][:, c] ∘ … ∘ loadings[N][:, c]` with unit-norm loading columns; `fit = 1 −
‖core − CP‖/‖core‖`. Unset keywords take the library's defaults.
"""
function components(x::AbstractArray{<:Real,N}, ranks, rank::Integer = 1; max_iter = nothing, tol = nothing,
                    seed = nothing) where {N}
    length(ranks) == N || throw(DimensionMismatch("$(length(ranks)) ranks for a tensor of order $N"))
    a = x isa Array{Float64,N} ? x : Array{Float64,N}(x)
    r = Int64[ranks...]
    shape = Int64[size(a)...]
    d = Ref{LibTessera.tsr_tensor_cp_options}()
    _check(LibTessera.tsr_tensor_cp_options_default(d))
    o = d[]
    opts = Ref(LibTessera.tsr_tensor_cp_options(o.struct_size, Int64(rank),
                                                max_iter === nothing ? o.max_iter : Int64(max_iter),
                                                tol === nothing ? o.tol : Float64(tol),
                                                seed === nothing ? o.seed : UInt64(seed)))
    R = max(Int(rank), 1)  # rank < 1 is rejected before any write
    weights = Vector{Float64}(undef, R)
    loadings, ptrs = _factor_buffers(size(a), fill(R, N))
    fit = Ref(0.0)
    GC.@preserve a r shape weights loadings ptrs begin
        _check(LibTessera.tsr_tensor_components_f64(Int32(N), pointer(shape), pointer(a), pointer(r), opts,
                                                    pointer(weights), pointer(ptrs), fit))
    end
    return weights, loadings, fit[]
end
