# Completability of partially observed low-rank matrices (the tsr_completability_* entry
# points); hand-written, included by Tessera.jl. UNTESTED (no Julia on the build machines): see
# README.md.
"""
    Tessera.Completability

Which entries of a partially observed rank-r matrix are determined by the observed positions,
estimates of them, their first-order variances, and the completability phase transition.

    const TC = Tessera.Completability
    c = TC.Closure(rows, cols, (m, n), 2)          # or TC.Closure(mask::AbstractMatrix{Bool}, 2)
    TC.info(c)                                     # jacobian_rank, deficiency, components, ...
    TC.completable(c, qrows, qcols)                # Vector{Bool}, one per query; also (i, j) in c
    TC.dense(c)                                    # m × n Matrix{Bool}
    est, var, count = TC.complete(rows, cols, values, (m, n), 2, qrows, qcols)
    var = TC.variance(rows, cols, values, (m, n), 2, qrows, qcols)
    fraction, full = TC.phase_transition(30, 2, [0.5, 1.0, 2.0]; trials = 5)

Indices are **1-based** (observation `e` is entry `(rows[e], cols[e])` with value `values[e]`;
they are converted to the 0-based C coordinates). The rank `r` must satisfy
`1 ≤ r < min(m, n)`. An entry that cannot be determined has estimate `NaN`, variance `Inf` and
count 0; that is a result, not an error. Library failures throw `TesseraError`; lists of
different lengths throw `DimensionMismatch` before the call. `complete` is not exported (it
would clash with the tensor `Tessera.complete`); call it qualified.
"""
module Completability

using ..Tessera: LibTessera, _check

export Closure, info, completable, dense, variance, phase_transition

const _METHODS = Dict(:min_variance => LibTessera.TSR_COMPLETABILITY_MIN_VARIANCE,
                      :path => LibTessera.TSR_COMPLETABILITY_PATH)
const _VARIANCES = Dict(:exact => LibTessera.TSR_COMPLETABILITY_VARIANCE_EXACT,
                        :sketch => LibTessera.TSR_COMPLETABILITY_VARIANCE_SKETCH)

_code(table, name, v::Symbol) =
    haskey(table, v) ? table[v] : throw(ArgumentError("$name must be one of $(collect(keys(table))), not :$v"))
_code(table, name, v::Integer) = UInt32(v)  # a TSR_COMPLETABILITY_* code; the library validates it

# The C options: the library's defaults with the given fields (`nothing`: default) replaced.
function _options(; method = nothing, rank1_variance = nothing, kwargs...)
    T = LibTessera.tsr_completability_options
    d = Ref{T}()
    _check(LibTessera.tsr_completability_options_default(d))
    names = fieldnames(T)
    vals = Any[getfield(d[], f) for f in names]
    set!(f, v) = (vals[findfirst(==(f), names)] = convert(fieldtype(T, f), v))
    method === nothing || set!(:rank1_method, _code(_METHODS, "method", method))
    rank1_variance === nothing || set!(:rank1_variance, _code(_VARIANCES, "rank1_variance", rank1_variance))
    for (f, v) in kwargs
        f in names || throw(ArgumentError("unknown option $f"))
        v === nothing || set!(f, v)
    end
    return Ref(T(vals...))
end

# 0-based Int64 coordinate lists of equal length.
function _coords(rows, cols, what = "rows/cols")
    length(rows) == length(cols) ||
        throw(DimensionMismatch("$what: $(length(rows)) row indices but $(length(cols)) column indices"))
    return Int64[i - 1 for i in rows], Int64[j - 1 for j in cols]
end

function _problem(rows, cols, values, variances)
    r, c = _coords(rows, cols)
    length(values) == length(r) ||
        throw(DimensionMismatch("values has $(length(values)) elements for $(length(r)) observations"))
    v = Vector{Float64}(vec(collect(values)))
    w = variances === nothing ? nothing : Vector{Float64}(vec(collect(variances)))
    w === nothing || length(w) == length(r) ||
        throw(DimensionMismatch("variances has $(length(w)) elements for $(length(r)) observations"))
    return r, c, v, w
end

"""
    Closure(rows, cols, (m, n), rank; seed = 0, trials = 2, num_threads = 0)
    Closure(mask::AbstractMatrix, rank; seed = 0, trials = 2, num_threads = 0)

The closure in the rank-`rank` determinantal matroid of the observed positions
`(rows[e], cols[e])` (1-based) of an `m × n` matrix, or of the nonzero entries of `mask`: the
entries determined, up to finitely many values, by the observations (decided exactly over a
prime field at `trials` random points). A `tsr_completability_closure` handle freed by a
finalizer (or early with `close`).
"""
mutable struct Closure
    ptr::Ptr{LibTessera.tsr_completability_closure}
    dims::Tuple{Int,Int}
    function Closure(ptr::Ptr{LibTessera.tsr_completability_closure}, dims::Tuple{Int,Int})
        c = new(ptr, dims)
        finalizer(Base.close, c)
        return c
    end
end

function Closure(rows::AbstractVector{<:Integer}, cols::AbstractVector{<:Integer}, dims::Tuple{Integer,Integer},
                 rank::Integer; seed = nothing, trials = nothing, num_threads::Integer = 0)
    r, c = _coords(rows, cols)
    opts = _options(; seed = seed, trials = trials, num_threads = num_threads)
    out = Ref{Ptr{LibTessera.tsr_completability_closure}}(C_NULL)
    GC.@preserve r c begin
        _check(LibTessera.tsr_completability_closure_new(Int64(dims[1]), Int64(dims[2]), Int64(length(r)), pointer(r),
                                                         pointer(c), Int64(rank), opts, out))
    end
    return Closure(out[], (Int(dims[1]), Int(dims[2])))
end

function Closure(mask::AbstractMatrix, rank::Integer; seed = nothing, trials = nothing, num_threads::Integer = 0)
    bytes = Matrix{UInt8}(mask .!= 0)  # column-major, exactly the C layout
    opts = _options(; seed = seed, trials = trials, num_threads = num_threads)
    out = Ref{Ptr{LibTessera.tsr_completability_closure}}(C_NULL)
    GC.@preserve bytes begin
        _check(LibTessera.tsr_completability_closure_new_dense(Int64(size(bytes, 1)), Int64(size(bytes, 2)), pointer(bytes),
                                                               Int64(rank), opts, out))
    end
    return Closure(out[], size(bytes))
end

function Base.close(c::Closure)
    ptr, c.ptr = c.ptr, C_NULL
    LibTessera.tsr_completability_closure_free(ptr)  # NULL is a no-op
    return nothing
end

Base.size(c::Closure) = c.dims
Base.show(io::IO, c::Closure) =
    c.ptr == C_NULL ? print(io, "Closure(<closed>)") : print(io, "Closure(", c.dims[1], " × ", c.dims[2], ")")

"""
    info(c::Closure)

Summary as a named tuple: `finitely_completable` (every entry determined), `rank`,
`jacobian_rank`, `full_rank = r(m + n - r)`, `deficiency = full_rank - jacobian_rank`,
`components` of the bipartite row/column graph, `pruned_rows` and `pruned_cols` (r-core pruning).
"""
function info(c::Closure)
    T = LibTessera.tsr_completability_info
    i = Ref(T(UInt32(sizeof(T)), 0, 0, 0, 0, 0, 0, 0, 0))
    _check(LibTessera.tsr_completability_closure_info(c.ptr, i))
    s = i[]
    return (finitely_completable = s.finitely_completable != 0, rank = Int(s.rank), jacobian_rank = Int(s.jacobian_rank),
            full_rank = Int(s.full_rank), deficiency = Int(s.deficiency), components = Int(s.components),
            pruned_rows = Int(s.pruned_rows), pruned_cols = Int(s.pruned_cols))
end

"""
    completable(c::Closure, qrows, qcols) -> Vector{Bool}

Whether each queried entry `(qrows[q], qcols[q])` (1-based) is in the closure (observed
entries are). `(i, j) in c` asks for one entry.
"""
function completable(c::Closure, qrows, qcols)
    r, k = _coords(qrows, qcols, "qrows/qcols")
    out = zeros(UInt8, length(r))
    GC.@preserve r k out begin
        _check(LibTessera.tsr_completability_closure_query(c.ptr, Int64(length(r)), pointer(r), pointer(k), pointer(out)))
    end
    return out .!= 0
end

Base.in(ij::Tuple{Integer,Integer}, c::Closure) = only(completable(c, [ij[1]], [ij[2]]))

"""
    dense(c::Closure) -> Matrix{Bool}

The whole closure as an `m × n` matrix: `true` where the entry is determined.
"""
function dense(c::Closure)
    out = zeros(UInt8, c.ptr == C_NULL ? (0, 0) : c.dims)
    GC.@preserve out begin
        _check(LibTessera.tsr_completability_closure_dense(c.ptr, pointer(out)))
    end
    return out .!= 0
end

"""
    Completability.complete(rows, cols, values, (m, n), rank, qrows, qcols; variances = nothing,
                            method = :min_variance, rank1_variance = :exact, sketch_dimensions,
                            tol, max_iter, max_estimators, max_rounds, min_rcond, seed,
                            num_threads = 0) -> (estimate, variance, estimators)

Estimates the queried entries `(qrows[q], qcols[q])` of a rank-`rank` `m × n` matrix from the
observed `values` (with `variances`, default unit). Rank 1: `method` `:min_variance`
(electrical flow, the minimum-variance unbiased estimate over all paths) or `:path` (one
alternating path), with variances `:exact` or `:sketch`ed (`sketch_dimensions` solves); rank
≥ 2: minors of observed and completed entries, combined with weights for their correlations.
Returns the estimates, their first-order variances and how many elementary estimates were
combined (0 where the entry is not determined: estimate `NaN`, variance `Inf`). Unset keywords
take the library's defaults.
"""
function complete(rows, cols, values, dims::Tuple{Integer,Integer}, rank::Integer, qrows, qcols; variances = nothing,
                  method = nothing, rank1_variance = nothing, sketch_dimensions = nothing, tol = nothing,
                  max_iter = nothing, max_estimators = nothing, max_rounds = nothing, min_rcond = nothing, seed = nothing,
                  num_threads::Integer = 0)
    r, c, v, w = _problem(rows, cols, values, variances)
    qr, qc = _coords(qrows, qcols, "qrows/qcols")
    opts = _options(; method = method, rank1_variance = rank1_variance, sketch_dimensions = sketch_dimensions, tol = tol,
                    max_iter = max_iter, max_estimators = max_estimators, max_rounds = max_rounds, min_rcond = min_rcond,
                    seed = seed, num_threads = num_threads)
    nq = length(qr)
    est, var, nest = Vector{Float64}(undef, nq), Vector{Float64}(undef, nq), Vector{Int64}(undef, nq)
    GC.@preserve r c v w qr qc est var nest begin
        wp = w === nothing ? Ptr{Cdouble}(C_NULL) : pointer(w)
        _check(LibTessera.tsr_completability_complete_f64(Int64(dims[1]), Int64(dims[2]), Int64(length(r)), pointer(r),
                                                          pointer(c), pointer(v), wp, Int64(rank), Int64(nq), pointer(qr),
                                                          pointer(qc), opts, pointer(est), pointer(var), pointer(nest)))
    end
    return est, var, nest
end

"""
    variance(rows, cols, values, (m, n), rank, qrows, qcols; variances = nothing, num_threads = 0)

First-order variance `gᵀ (Jᵀ Σ⁻¹ J)⁺ g` of each queried entry for any estimator that fits a
rank-`rank` matrix to the observations, at a fit of the observed `values`; `Inf` exactly where
the entry is not completable.
"""
function variance(rows, cols, values, dims::Tuple{Integer,Integer}, rank::Integer, qrows, qcols; variances = nothing,
                  num_threads::Integer = 0)
    r, c, v, w = _problem(rows, cols, values, variances)
    qr, qc = _coords(qrows, qcols, "qrows/qcols")
    opts = _options(; num_threads = num_threads)
    out = Vector{Float64}(undef, length(qr))
    GC.@preserve r c v w qr qc out begin
        wp = w === nothing ? Ptr{Cdouble}(C_NULL) : pointer(w)
        _check(LibTessera.tsr_completability_variance_f64(Int64(dims[1]), Int64(dims[2]), Int64(length(r)), pointer(r),
                                                          pointer(c), pointer(v), wp, Int64(rank), Int64(length(qr)),
                                                          pointer(qr), pointer(qc), opts, pointer(out)))
    end
    return out
end

"""
    phase_transition(n, rank, x; trials = 5, seed = 0, num_threads = 0) -> (fraction, fully_completable)

For each `x[p]`, `trials` masks of an `n × n` matrix with `round(x[p] r(2n − r))` positions drawn
uniformly without replacement: the mean fraction of the `n²` entries in the rank-`rank`
closure, and the number of fully completable trials.
"""
function phase_transition(n::Integer, rank::Integer, x; trials::Integer = 5, seed = nothing, num_threads::Integer = 0)
    xs = Vector{Float64}(vec(collect(x)))
    opts = _options(; seed = seed, num_threads = num_threads)
    fraction, full = Vector{Float64}(undef, length(xs)), Vector{Int64}(undef, length(xs))
    GC.@preserve xs fraction full begin
        _check(LibTessera.tsr_completability_phase_transition(Int64(n), Int64(rank), Int64(length(xs)), pointer(xs),
                                                              Int64(trials), opts, pointer(fraction), pointer(full)))
    end
    return fraction, full
end

end # module Completability
