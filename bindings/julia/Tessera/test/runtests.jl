# Run with: TESSERA_LIB=/path/to/libtessera.so julia --project=bindings/julia/Tessera -e 'using Pkg; Pkg.test()'
using Test
using Tessera
using Tessera: LibTessera

const C = 0.7

function mobius_add_ref(x::AbstractVector, y::AbstractVector, c = C)
    xy, x2, y2 = sum(x .* y), sum(abs2, x), sum(abs2, y)
    return ((1 + 2c * xy + c * y2) .* x .+ (1 - c * x2) .* y) ./ (1 + 2c * xy + c^2 * x2 * y2)
end

function points(d, n; radius = 0.9)
    v = randn(d, n)
    return v ./ sqrt.(sum(abs2, v; dims = 1)) .* (rand(1, n) .* (radius / sqrt(C)))
end

@testset "Tessera" begin
    ball = PoincareBall(C; num_threads = 1)
    @test curvature(ball) ≈ C
    @test version() == "$(LibTessera.TSR_VERSION_MAJOR).$(LibTessera.TSR_VERSION_MINOR).$(LibTessera.TSR_VERSION_PATCH)"
    @test LibTessera.tsr_version() == LibTessera.TSR_VERSION

    d, n = 5, 40
    x, y = points(d, n), points(d, n)
    ref = reduce(hcat, [mobius_add_ref(x[:, i], y[:, i]) for i in 1:n])

    @testset "closed forms" begin
        @test Tessera.mobius_add(ball, x, y) ≈ ref rtol = 1e-13
        @test Tessera.mobius_add(ball, x, zero(x)) ≈ x atol = 1e-15
        @test maximum(abs, Tessera.mobius_add(ball, -x, x)) < 1e-14
        out = similar(x)
        @test Tessera.mobius_add!(ball, out, x, y) === out
        @test out ≈ ref rtol = 1e-13
    end

    @testset "f32, views, broadcasting" begin
        z32 = Tessera.mobius_add(ball, Float32.(x), Float32.(y))
        @test eltype(z32) == Float32
        @test z32 ≈ ref rtol = 1e-4
        big = zeros(2d, n)
        big[1:2:end, :] .= x
        @test Tessera.mobius_add(ball, view(big, 1:2:2d, :), y) ≈ ref rtol = 1e-13  # strided view
        @test Tessera.mobius_add(ball, x, collect(y')') ≈ ref rtol = 1e-13           # Adjoint: copied
        y1 = y[:, 1]
        refb = reduce(hcat, [mobius_add_ref(x[:, i], y1) for i in 1:n])
        @test Tessera.mobius_add(ball, x, y1) ≈ refb rtol = 1e-13                    # shared point
    end

    @testset "vjp" begin
        g = randn(d, n)
        gx, gy = Tessera.mobius_add_vjp(ball, x, y, g)
        h = 1e-6
        for k in 1:d
            e = zeros(d); e[k] = h
            num = sum(g[:, 1] .* (mobius_add_ref(x[:, 1] .+ e, y[:, 1]) .- mobius_add_ref(x[:, 1] .- e, y[:, 1]))) / 2h
            @test gx[k, 1] ≈ num rtol = 1e-6 atol = 1e-8
        end
        @test size(gy) == size(y)
    end

    @testset "errors" begin
        err(f) = try f(); nothing catch e; e end
        e = err(() -> Tessera.mobius_add(ball, fill(2.0, d, n), y))
        @test e isa TesseraError && e.status == LibTessera.TSR_ERR_DOMAIN && !isempty(e.message)
        z = copy(x); z[2, 3] = NaN
        @test err(() -> Tessera.mobius_add(ball, z, y)).status == LibTessera.TSR_ERR_NON_FINITE
        @test err(() -> Tessera.mobius_add(ball, x[:, 1:end-1], y)).status == LibTessera.TSR_ERR_SHAPE_MISMATCH
        @test err(() -> PoincareBall(-1.0)).status == LibTessera.TSR_ERR_INVALID_PARAMETER
        @test err(() -> PoincareBall(1.0; num_threads = -1)).status == LibTessera.TSR_ERR_INVALID_PARAMETER
        b = PoincareBall(1.0)
        close(b)
        @test err(() -> Tessera.mobius_add(b, x, y)).status == LibTessera.TSR_ERR_NULL_POINTER
    end
end
