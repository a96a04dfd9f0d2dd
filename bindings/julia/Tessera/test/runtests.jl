# Run with: TESSERA_LIB=/path/to/libtessera.so julia --project=bindings/julia/Tessera -e 'using Pkg; Pkg.test()'
using Random
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
    @testset "tensor completion" begin
        modeprod(x, m, k) = begin
            p = (k, setdiff(1:ndims(x), k)...)
            y = reshape(m * reshape(permutedims(x, p), size(x, k), :), (size(m, 1), size(x)[collect(p[2:end])]...))
            permutedims(y, invperm(p))
        end
        Random.seed!(20)  # recovery is typical, not certain, for a random draw (see test_tensor.py)
        dims, r = (20, 15, 10), (2, 2, 2)
        x = randn(r...)
        for k in 1:3
            x = modeprod(x, randn(dims[k], r[k]), k)
        end
        mask = rand(dims...) .< 0.5
        rel(a, b) = sqrt(sum(abs2, a .- b) / sum(abs2, b))

        est, info = complete(x, mask; tol = 1e-4)
        @test size(est) == dims && info.converged && info.status == LibTessera.TSR_OK
        @test rel(est, x) < 1e-2   # typical for this size; not guaranteed for every draw
        @test info.ranks == [2, 2, 2]

        idx = findall(mask)
        coords = [idx[j][k] for k in 1:3, j in eachindex(idx)]   # 1-based, 3 × nobs
        est2, info2 = complete(x[idx], coords, dims; tol = 1e-4)
        @test est2 == est && info2.iterations == info.iterations
        y = ifelse.(mask, x, NaN)
        @test first(complete(y; tol = 1e-4)) == est             # mask defaults to !isnan

        core, factors = tucker(x, (2, 2, 2))
        @test size(core) == (2, 2, 2) && size(factors[1]) == (20, 2)
        z = core
        for k in 1:3
            z = modeprod(z, factors[k], k)
        end
        @test rel(z, x) < 1e-12

        w, loadings, fit = components(x, (2, 2, 2), 3; max_iter = 5000)
        @test length(w) == 3 && size(loadings[2]) == (15, 3) && fit > 0.99

        seen = Int[]
        est3, info3 = complete(x, mask; tol = 1e-12, progress = p -> (push!(seen, p.iteration); p.iteration >= 3))
        @test info3.status == LibTessera.TSR_ERR_CANCELLED && seen == [1, 2, 3] && all(isfinite, est3)

        err(f) = try f(); nothing catch e; e end
        z = copy(x); z[findfirst(mask)] = NaN
        @test err(() -> complete(z, mask)).status == LibTessera.TSR_ERR_NON_FINITE
        @test err(() -> complete(x, falses(dims...))).status == LibTessera.TSR_ERR_DOMAIN
        @test err(() -> complete(x, mask; lambda = -1)).status == LibTessera.TSR_ERR_INVALID_PARAMETER
        @test err(() -> complete(x, mask; method = :as_matrix, mode = 4)).status == LibTessera.TSR_ERR_INVALID_PARAMETER
        bad = copy(coords); bad[2, 1] = 16
        @test err(() -> complete(x[idx], bad, dims)).status == LibTessera.TSR_ERR_DOMAIN
        @test err(() -> complete(x, mask; weights = [1.0, 2.0])) isa ArgumentError
        @test err(() -> tucker(x, (2, 0, 2))).status == LibTessera.TSR_ERR_INVALID_PARAMETER
    end

    @testset "completability" begin
        TC = Tessera.Completability
        err(f) = try f(); nothing catch e; e end
        # Rank 1: the closure is "row and column in one connected component" (union-find here).
        # 7 × 6: rows 1-3 with columns 1-3, rows 4-5 with columns 4-5, row 6 with column 6, row 7 empty.
        m, n = 7, 6
        rows = [1, 1, 2, 2, 3, 4, 4, 5, 6]
        cols = [1, 2, 2, 3, 1, 4, 5, 5, 6]
        parent = collect(1:(m + n))
        find(v) = parent[v] == v ? v : (parent[v] = find(parent[v]))
        for (i, j) in zip(rows, cols)
            parent[find(i)] = find(m + j)
        end
        joined = [find(i) == find(m + j) for i in 1:m, j in 1:n]
        ncomp = count(v -> find(v) == v, 1:(m + n))
        c = TC.Closure(rows, cols, (m, n), 1)
        @test size(c) == (m, n)
        @test TC.dense(c) == joined
        qr, qc = vec([i for i in 1:m, j in 1:n]), vec([j for i in 1:m, j in 1:n])
        @test TC.completable(c, qr, qc) == vec(joined)
        @test (3, 3) in c && !((1, 4) in c)
        inf = TC.info(c)
        @test inf.rank == 1 && inf.full_rank == m + n - 1 && inf.components == ncomp == 4
        @test inf.jacobian_rank == m + n - ncomp && inf.deficiency == inf.full_rank - inf.jacobian_rank
        @test !inf.finitely_completable
        mask = falses(m, n)
        for (i, j) in zip(rows, cols)
            mask[i, j] = true
        end
        @test TC.dense(TC.Closure(mask, 1)) == joined
        u, v = [1.5, -2.0, 0.5, 3.0, -1.0, 2.0, 0.75], [2.0, 1.0, -0.5, 4.0, 0.25, -3.0]
        vals = [u[i] * v[j] for (i, j) in zip(rows, cols)]
        for method in (:min_variance, :path)
            est, var, k = TC.complete(rows, cols, vals, (m, n), 1, qr, qc; method = method)
            det = vec(joined)
            @test all(abs.(est[det] .- (u[qr] .* v[qc])[det]) .<= 1e-10 .* abs.((u[qr] .* v[qc])[det]))
            @test all(isfinite, var[det]) && all(>=(1), k[det])
            @test all(isnan, est[.!det]) && all(==(Inf), var[.!det]) && all(==(0), k[.!det])
        end
        close(c)
        @test err(() -> TC.info(c)).status == LibTessera.TSR_ERR_NULL_POINTER

        # Rank 2: minors reproduce the truth where completable; first-order variances are finite
        # exactly there. The last row has a single observation (< r): pruned, not completable.
        Random.seed!(7)
        m, n = 10, 9
        a = randn(m, 2) * randn(2, n)
        hidden = [(i - 1 + 3 * (j - 1)) % 4 == 0 || (i == m && j != 1) for i in 1:m, j in 1:n]
        obs, hid = findall(.!hidden), findall(hidden)
        rows, cols = [p[1] for p in obs], [p[2] for p in obs]
        qr, qc = [p[1] for p in hid], [p[2] for p in hid]
        c = TC.Closure(rows, cols, (m, n), 2)
        inf = TC.info(c)
        @test inf.pruned_rows == 1 && inf.pruned_cols == 0 && !inf.finitely_completable
        det = TC.completable(c, qr, qc)
        @test det == (qr .!= m)
        est, var, k = TC.complete(rows, cols, a[obs], (m, n), 2, qr, qc)
        @test maximum(abs.(est[det] .- a[hid][det]) ./ abs.(a[hid][det])) < 1e-8
        @test all(isnan, est[.!det]) && all(==(0), k[.!det])
        fo = TC.variance(rows, cols, a[obs], (m, n), 2, qr, qc)
        @test all(isfinite, fo[det]) && all(>(0), fo[det]) && all(==(Inf), fo[.!det])
        fo4 = TC.variance(rows, cols, a[obs], (m, n), 2, qr, qc; variances = fill(4.0, length(obs)))
        @test fo4[det] ≈ 4 .* fo[det] rtol = 1e-8

        fraction, full = TC.phase_transition(20, 2, [0.3, 1.0, 3.0]; trials = 3, seed = 5)
        @test all(0 .<= fraction .<= 1) && all(0 .<= full .<= 3) && issorted(fraction)
        @test fraction[1] < 0.5 && fraction[3] > 0.9

        r3, c3, v3 = [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], [1.0, 2.0, 4.0, 8.0, 0.5]
        @test err(() -> TC.complete(r3, c3, v3, (3, 3), 3, [3], [3])).status == LibTessera.TSR_ERR_INVALID_PARAMETER
        @test err(() -> TC.complete(r3, c3, v3, (3, 3), 1, [3], [4])).status == LibTessera.TSR_ERR_DOMAIN
        @test err(() -> TC.Closure([1, 1, 2, 2, 1], [1, 2, 2, 3, 2], (3, 3), 1)).status == LibTessera.TSR_ERR_DOMAIN
        @test err(() -> TC.complete(r3, c3, v3, (3, 3), 1, [3], [3]; method = 7)).status == LibTessera.TSR_ERR_INVALID_ENUM
        @test err(() -> TC.complete(r3, c3, v3, (3, 3), 1, [3], [3]; method = :nope)) isa ArgumentError
        @test err(() -> TC.phase_transition(10, 2, [1.0, -1.0])).status == LibTessera.TSR_ERR_INVALID_PARAMETER
        @test err(() -> TC.complete(r3, c3[1:4], v3, (3, 3), 1, [3], [3])) isa DimensionMismatch
    end
end
