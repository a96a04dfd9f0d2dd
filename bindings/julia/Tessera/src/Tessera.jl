"""
    Tessera

Julia interface to the Tessera C library. Points are columns: a batch of n points in dimension
d is a `d × n` matrix, passed to C without a copy (the C view `x[n,d]` with row stride
`stride(x, 2)`). Every Poincaré operation of the C header is a function `op(ball, inputs...)`
returning new arrays and `op!(ball, outputs..., inputs...)` writing into yours; they are
generated from the header into `ops.jl` by `bindings/generate.py`, the 1:1 `ccall` layer into
`LibTessera.jl`. Tensor completion, Tucker and components (`complete`, `tucker`,
`components`) are in `tensor.jl`, matrix completability (the submodule `Completability`:
`Closure`, `complete`, `variance`, `phase_transition`) in `completability.jl`, dense networks
(`Network`, `forward`, `backward`, `vjp`, `train_step!`, `step!`, `set_optimiser!`, `params`),
the f-GAN objectives (`fdiv_objective`) and QSGD (the submodule `QSGD`) in `nn.jl` (all
hand-written, untested at run time: no Julia here).

The library is `ENV["TESSERA_LIB"]` (a path) when the package is loaded, else `libtessera` on
the system search path.
"""
module Tessera

include("LibTessera.jl")
using .LibTessera: LibTessera

export PoincareBall, TesseraError, curvature, version
export complete, tucker, components, CompletionInfo
export Completability
export Network, NetworkArray, forward, forward!, backward, vjp, train_step!, step!, set_optimiser!, params
export fdiv_objective, QSGD

"""
    TesseraError(status, name, message)

A failed Tessera call: `status` is the C code (compare with `LibTessera.TSR_ERR_*`), `name`
its name (e.g. `"TSR_ERR_DOMAIN"`), `message` the library's explanation.
"""
struct TesseraError <: Exception
    status::UInt32
    name::String
    message::String
end

Base.showerror(io::IO, e::TesseraError) = print(io, "TesseraError: ", e.name, " (", Int(e.status), "): ", e.message)

function _check(st)
    if st != LibTessera.TSR_OK
        msg = unsafe_string(LibTessera.tsr_last_error_message())  # first: valid until the next call
        name = unsafe_string(LibTessera.tsr_status_str(st))
        throw(TesseraError(UInt32(st), name, msg))
    end
    return nothing
end

"The run-time library version, `\"MAJOR.MINOR.PATCH\"`."
version() = unsafe_string(LibTessera.tsr_version_string())

"Sets the default thread count of later calls (0: automatic)."
set_num_threads(n::Integer) = _check(LibTessera.tsr_set_num_threads(Int32(n)))

"""
    PoincareBall(c; num_threads = 0)

The Poincaré ball of curvature `-c` (`c > 0`), a `tsr_poincare` handle freed by a finalizer
(or early with `close(ball)`).
"""
mutable struct PoincareBall
    ptr::Ptr{LibTessera.tsr_poincare}
    function PoincareBall(c::Real; num_threads::Integer = 0)
        opts = Ref{LibTessera.tsr_poincare_options}()
        _check(LibTessera.tsr_poincare_options_default(opts))
        opts[] = LibTessera.tsr_poincare_options(opts[].struct_size, Int32(num_threads))
        out = Ref{Ptr{LibTessera.tsr_poincare}}(C_NULL)
        _check(LibTessera.tsr_poincare_new(Float64(c), opts, out))
        ball = new(out[])
        finalizer(Base.close, ball)
        return ball
    end
end

function Base.close(ball::PoincareBall)
    ptr, ball.ptr = ball.ptr, C_NULL
    LibTessera.tsr_poincare_free(ptr)  # NULL is a no-op
    return nothing
end

"The curvature parameter `c` of `ball`."
curvature(ball::PoincareBall) = LibTessera.tsr_poincare_c(ball.ptr)

Base.show(io::IO, ball::PoincareBall) =
    ball.ptr == C_NULL ? print(io, "PoincareBall(<closed>)") : print(io, "PoincareBall(", curvature(ball), ")")

# ---- helpers of the generated ops.jl --------------------------------------------------------
# An argument's shape is (rows, cols, batch) in the C symbols (:n, :d, :k, :p, :q, :one).
# batch: rows index points, so the Julia array holds one point per column (d × n); a vector of
# length d is one point shared by all (zero row stride), and a `[n,1]` argument is a vector.
# Otherwise (e.g. m[q,p]) the Julia matrix has the C shape q × p.

_strided(a::StridedVecOrMat) = a
_strided(a::AbstractVecOrMat) = collect(a)

_setdim!(dims, s::Symbol, v::Integer) = (haskey(dims, s) || (dims[s] = Int(v)); nothing)

function _bind!(dims::Dict{Symbol,Int}, name::String, a::AbstractVecOrMat, rows::Symbol, cols::Symbol, batch::Bool)
    if batch && cols === :one
        _setdim!(dims, rows, a isa AbstractVector ? length(a) : size(a, 2))
    elseif batch && a isa AbstractVector
        _setdim!(dims, cols, length(a))
    elseif batch
        _setdim!(dims, rows, size(a, 2))
        _setdim!(dims, cols, size(a, 1))
    else
        a isa AbstractMatrix || throw(ArgumentError("`$name` must be a matrix"))
        _setdim!(dims, rows, size(a, 1))
        _setdim!(dims, cols, size(a, 2))
    end
    return nothing
end

_refview(::Type{Float64}) = LibTessera.tsr_matref_f64
_refview(::Type{Float32}) = LibTessera.tsr_matref_f32
_mutview(::Type{Float64}) = LibTessera.tsr_matmut_f64
_mutview(::Type{Float32}) = LibTessera.tsr_matmut_f32

# (nrows, ncols, row_stride, col_stride) of the C view of `a`.
function _cshape(dims, a::AbstractVecOrMat, rows::Symbol, cols::Symbol, batch::Bool)
    if batch && cols === :one
        return a isa AbstractVector ? (length(a), 1, stride(a, 1), 1) : (size(a, 2), 1, stride(a, 2), 1)
    elseif batch && a isa AbstractVector
        return (get(dims, rows, 1), length(a), 0, stride(a, 1))
    elseif batch
        return (size(a, 2), size(a, 1), stride(a, 2), stride(a, 1))
    else
        return (size(a, 1), size(a, 2), stride(a, 1), stride(a, 2))
    end
end

function _ref(dims, a::StridedVecOrMat{T}, rows::Symbol, cols::Symbol, batch::Bool) where {T}
    return _refview(T)(pointer(a), _cshape(dims, a, rows, cols, batch)...)
end

function _mut(dims, name::String, a::AbstractVecOrMat{T}, rows::Symbol, cols::Symbol, batch::Bool) where {T}
    a isa StridedVecOrMat || throw(ArgumentError("output `$name` must be a strided array"))
    batch && cols !== :one && a isa AbstractVector && throw(ArgumentError("output `$name` must be a matrix"))
    return _mutview(T)(pointer(a), _cshape(dims, a, rows, cols, batch)...)
end

function _alloc(::Type{T}, dims, rows::Symbol, cols::Symbol, batch::Bool) where {T}
    r, c = get(dims, rows, 1), get(dims, cols, 1)
    if batch
        return cols === :one ? Vector{T}(undef, r) : Matrix{T}(undef, c, r)
    end
    return Matrix{T}(undef, r, c)
end

include("ops.jl")
include("tensor.jl")
include("completability.jl")
include("nn.jl")

end # module
