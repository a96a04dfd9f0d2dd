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

    @testset "networks" begin
        err(f) = try f(); nothing catch e; e end
        matmul(a, b) = [sum(a[i, k] * b[k, j] for k in 1:size(a, 2)) for i in 1:size(a, 1), j in 1:size(b, 2)]
        # Three Gaussian blobs in the plane, one per class: one sample per column, labels 1-based.
        function blobs(count, seed)
            rng = MersenneTwister(seed)
            centres = [-1.0 1.0 0.0; -0.5 -0.5 1.0]
            labels = [mod1(k, 3) for k in 1:count]
            return centres[:, labels] .+ 0.3 .* randn(rng, 2, count), labels
        end
        bx, by = blobs(240, 1)
        tx, ty = blobs(300, 2)  # held out

        @testset "training reaches accuracy ($T)" for T in (Float64, Float32)
            net = Network([2, 16, 3], [:tanh, :identity], :softmax_cross_entropy; dtype = T, seed = 7, max_batch = 300,
                          num_threads = 1)
            set_optimiser!(net, :adam; learning_rate = 0.02)
            @test Tessera.info(net).optimiser == :adam && Tessera.info(net).dtype == T
            losses = Float64[]
            for epoch in 1:80, i in 1:60:240
                push!(losses, train_step!(net, view(bx, :, i:i+59); labels = by[i:i+59]))  # a strided view
            end
            @test losses[end] < 0.25 * losses[1]
            out = forward(net, tx)
            @test size(out) == (3, 300) && eltype(out) == T && out == net(tx)
            @test count(k -> argmax(out[:, k]) == ty[k], 1:300) >= 0.95 * 300
            @test backward(net, tx; labels = ty) < 0.3
        end

        @testset "forward against the weight views" begin
            acts = Dict(:identity => identity, :relu => z -> max(z, 0.0), :leaky_relu => z -> z > 0 ? z : 0.01z,
                        :tanh => tanh, :sigmoid => z -> 1 / (1 + exp(-z)), :softplus => z -> log1p(exp(z)),
                        :gelu => z -> 0.5z * (1 + tanh(sqrt(2 / pi) * (z + 0.044715z^3))))
            rng = MersenneTwister(11)
            for a in keys(acts)
                net = Network([3, 7, 5, 4], [a, :tanh, a], :squared_error; dtype = Float64, seed = 2)
                for l in 1:3
                    Tessera.bias(net, l) .= randn(rng, net.sizes[l + 1])  # zero after initialisation
                end
                xs = randn(rng, 3, 9)
                want = xs
                for (l, f) in enumerate(Tessera.info(net).activations)
                    @test size(Tessera.weights(net, l)) == (net.sizes[l + 1], net.sizes[l])
                    want = acts[f].(matmul(Tessera.weights(net, l), want) .+ Tessera.bias(net, l))
                end
                @test maximum(abs.(forward(net, xs) .- want)) < 1e-12
                @test forward(net, view(xs, :, 9:-1:1)) == forward(net, xs)[:, 9:-1:1]  # negative stride
                @test forward(net, collect(xs')') == forward(net, xs)                    # Adjoint: copied
            end
        end

        @testset "gradients against finite differences" begin
            rng = MersenneTwister(8)
            for (loss, outact) in ((:squared_error, :sigmoid), (:logistic, :identity), (:softmax_cross_entropy, :identity))
                net = Network([3, 6, 4], [:tanh, outact], loss; dtype = Float64, seed = 3)
                xs = randn(rng, 3, 5)
                kw = loss === :softmax_cross_entropy ? (labels = [1, 4, 2, 3, 4],) : (targets = rand(rng, 4, 5),)
                loss0, gx = backward(net, xs; input_grad = true, kw...)
                g = copy(Tessera.gradient(net))
                p = params(net)  # writes go into the network
                lossof() = backward(net, xs; kw...)
                h = 1e-6
                worst = 0.0
                for k in eachindex(p)
                    keep = p[k]
                    p[k] = keep + h; up = lossof()
                    p[k] = keep - h; down = lossof()
                    p[k] = keep
                    worst = max(worst, abs((up - down) / 2h - g[k]))
                end
                @test worst < 1e-8
                @test lossof() == loss0
                worst = 0.0
                for k in eachindex(xs)
                    keep = xs[k]
                    xs[k] = keep + h; up = lossof()
                    xs[k] = keep - h; down = lossof()
                    xs[k] = keep
                    worst = max(worst, abs((up - down) / 2h - gx[k]))
                end
                @test worst < 1e-8
            end
            net = Network([3, 5, 2], [:relu, :sigmoid], :squared_error; dtype = Float64, seed = 1)
            xs, ts = randn(rng, 3, 6), rand(rng, 2, 6)
            _, gx = backward(net, xs; targets = ts, input_grad = true)
            g = copy(Tessera.gradient(net))
            gx2 = vjp(net, xs, (forward(net, xs) .- ts) ./ 6)
            @test maximum(abs.(gx2 .- gx)) < 1e-15 && maximum(abs.(copy(Tessera.gradient(net)) .- g)) < 1e-15
            @test vjp(net, xs, ones(2, 6); input_grad = false) === nothing
        end

        @testset "optimisers: kept gradient = gradient passed in ($kind)" for kind in (:sgd, :adam, :path_sgd)
            xs, ys = blobs(60, 3)
            a = Network([2, 8, 3], [:tanh, :identity], :softmax_cross_entropy; dtype = Float64, seed = 11)
            b = Tessera.from_bytes(Tessera.to_bytes(a))
            rate = kind === :adam ? 0.01 : 0.1
            set_optimiser!(a, kind; learning_rate = rate)
            set_optimiser!(b, kind; learning_rate = rate)
            @test Tessera.info(b).optimiser == kind
            losses = Float64[]
            for i in 1:20
                push!(losses, backward(a, xs; labels = ys))
                step!(a)
                backward(b, xs; labels = ys)
                step!(b, Tessera.gradient(b))  # copied by step!
            end
            @test copy(params(a)) == copy(params(b))
            @test losses[end] < losses[1]
        end

        @testset "parameter views" begin
            net = Network([2, 4, 3], [:relu, :identity], :squared_error; dtype = Float64, seed = 5)
            inf = Tessera.info(net)
            @test inf.num_params == 3 * 4 + 5 * 3 && inf.sizes == [2, 4, 3] && inf.activations == [:relu, :identity]
            xs = randn(2, 7)
            p = params(net)
            @test p isa NetworkArray{Float64,1} && length(p) == inf.num_params
            @test vec(copy(Tessera.weights(net, 1))) == p[1:8] && copy(Tessera.bias(net, 1)) == p[9:12]
            p .= 0.0
            @test forward(net, xs) == zeros(3, 7)
            Tessera.bias(net, 2) .= [1.0, -2.0, 3.0]
            @test forward(net, xs) == repeat([1.0, -2.0, 3.0], 1, 7)
            w1 = [1.0 0.0; 0.0 1.0; 0.0 0.0; 0.0 0.0]
            w2 = [1.0 0.0 0.0 0.0; 0.0 1.0 0.0 0.0; 0.0 0.0 1.0 0.0]
            Tessera.weights(net, 1) .= w1
            Tessera.weights(net, 2) .= w2
            @test forward(net, xs) == matmul(w2, max.(matmul(w1, xs), 0.0)) .+ [1.0, -2.0, 3.0]
            g = Tessera.gradient(net)
            @test g == zeros(inf.num_params)  # zeros before any pass
            @test err(() -> (g[1] = 1.0)) isa ArgumentError  # read-only
            close(net)
            @test err(() -> p[1]) isa ArgumentError  # views of a closed network throw, never dangle
            @test err(() -> forward(net, xs)).status == LibTessera.TSR_ERR_NULL_POINTER
        end

        @testset "save and load, bit for bit" begin
            for T in (Float32, Float64)
                a = Network([2, 8, 5, 3], [:gelu, :leaky_relu, :identity], :softmax_cross_entropy; dtype = T, seed = 13)
                for i in 1:10
                    train_step!(a, bx[:, 1:90]; labels = by[1:90])
                end
                bytes = Tessera.to_bytes(a)
                @test bytes[1:8] == Vector{UInt8}("TSRNNPAR")
                b = Tessera.from_bytes(bytes; max_batch = 128)
                mktempdir() do dir
                    path = joinpath(dir, "net.bin")
                    Tessera.save(path, a)
                    @test read(path) == bytes
                    c = Tessera.load(path; num_threads = 1)
                    for n in (b, c)
                        @test n isa Network{T} && Tessera.to_bytes(n) == bytes
                        @test copy(params(n)) == copy(params(a)) && forward(n, bx) == forward(a, bx)
                    end
                    @test Tessera.info(b).max_batch == 128 && Tessera.info(c).max_batch == 256
                    @test err(() -> Tessera.load(joinpath(dir, "missing", "net.bin"))).status == LibTessera.TSR_ERR_IO
                    @test err(() -> Tessera.save(joinpath(dir, "missing", "net.bin"), a)).status == LibTessera.TSR_ERR_IO
                end
                for k in 0:7:length(bytes)-1
                    @test err(() -> Tessera.from_bytes(bytes[1:k])).status == LibTessera.TSR_ERR_BAD_DATA
                end
                for i in 1:5:length(bytes)
                    bad = copy(bytes)
                    bad[i] ⊻= 0x10
                    @test err(() -> Tessera.from_bytes(bad)).status == LibTessera.TSR_ERR_BAD_DATA
                end
            end
        end

        @testset "bad input" begin
            net = Network([2, 8, 3], [:relu, :identity], :softmax_cross_entropy; dtype = Float64, seed = 1, max_batch = 16)
            xs = randn(2, 8)
            labels = [1, 2, 3, 1, 2, 3, 1, 2]
            before = copy(params(net))
            st(f) = err(f).status
            @test st(() -> forward(net, randn(3, 8))) == LibTessera.TSR_ERR_SHAPE_MISMATCH
            @test st(() -> vjp(net, xs, ones(2, 8))) == LibTessera.TSR_ERR_SHAPE_MISMATCH
            @test st(() -> forward(net, zeros(2, 0))) == LibTessera.TSR_ERR_BAD_EXTENT
            @test st(() -> train_step!(net, randn(2, 17); labels = ones(Int, 17))) == LibTessera.TSR_ERR_BAD_EXTENT
            @test err(() -> forward(net, xs[:, 1])) isa ArgumentError
            @test err(() -> backward(net, xs; labels = labels[1:5])) isa DimensionMismatch
            @test err(() -> backward(net, xs; labels = labels .- 1)) isa ArgumentError  # 1-based
            bad = copy(xs); bad[2, 3] = NaN
            @test st(() -> forward(net, bad)) == LibTessera.TSR_ERR_NON_FINITE
            wrong = copy(labels); wrong[4] = 4
            e = err(() -> train_step!(net, xs; labels = wrong))
            @test e isa TesseraError && e.status == LibTessera.TSR_ERR_DOMAIN && e.name == "TSR_ERR_DOMAIN" && !isempty(e.message)
            @test st(() -> train_step!(net, xs; targets = zeros(3, 8))) == LibTessera.TSR_ERR_INVALID_PARAMETER
            @test st(() -> train_step!(net, xs)) == LibTessera.TSR_ERR_NULL_POINTER
            @test st(() -> step!(net, zeros(5))) == LibTessera.TSR_ERR_SHAPE_MISMATCH
            g = zeros(length(before)); g[4] = Inf
            @test st(() -> step!(net, g)) == LibTessera.TSR_ERR_NON_FINITE
            @test st(() -> Tessera.weights(net, 3)) == LibTessera.TSR_ERR_INVALID_PARAMETER
            @test st(() -> set_optimiser!(net, 9)) == LibTessera.TSR_ERR_INVALID_ENUM
            @test st(() -> set_optimiser!(net, :sgd; momentum = 1.0)) == LibTessera.TSR_ERR_INVALID_PARAMETER
            @test st(() -> set_optimiser!(net, :path_sgd; path_p = 0.5)) == LibTessera.TSR_ERR_INVALID_PARAMETER
            @test err(() -> set_optimiser!(net, :rmsprop)) isa ArgumentError
            @test copy(params(net)) == before
            p = params(net)
            p[end] = NaN
            @test st(() -> forward(net, xs)) == LibTessera.TSR_ERR_NON_FINITE
            p[end] = before[end]
            sq = Network([2, 8, 3], [:relu, :identity], :logistic; dtype = Float64, seed = 2)
            ts = zeros(3, 8)
            @test st(() -> train_step!(sq, xs; labels = labels, targets = ts)) == LibTessera.TSR_ERR_INVALID_PARAMETER
            @test st(() -> train_step!(sq, xs; targets = ts[:, 1:7])) == LibTessera.TSR_ERR_SHAPE_MISMATCH
            ts[2, 1] = 1.5
            @test st(() -> train_step!(sq, xs; targets = ts)) == LibTessera.TSR_ERR_DOMAIN
            @test st(() -> Network([2, 0, 3], [:relu, :identity], :squared_error)) == LibTessera.TSR_ERR_BAD_EXTENT
            @test st(() -> Network([2, 3], [99], :squared_error)) == LibTessera.TSR_ERR_INVALID_ENUM
            @test st(() -> Network([2, 3], [:identity], 17)) == LibTessera.TSR_ERR_INVALID_ENUM
            @test st(() -> Network([2, 3], [:identity], :squared_error; max_batch = 0)) == LibTessera.TSR_ERR_INVALID_PARAMETER
            @test err(() -> Network([2, 4, 3], [:relu], :squared_error)) isa DimensionMismatch
            @test err(() -> Network([2, 3], [:swish], :squared_error)) isa ArgumentError
            @test err(() -> Network([2, 3], [:identity], :squared_error; dtype = Int32)) isa ArgumentError
            n32 = Network([2, 3], :identity, :squared_error)
            @test n32 isa Network{Float32} && eltype(forward(n32, xs)) == Float32  # Float64 input converted
        end
    end

    @testset "qsgd and f-divergences" begin
        Q = Tessera.QSGD
        err(f) = try f(); nothing catch e; e end
        rng = MersenneTwister(4)
        qv = rand(rng, 1000) .* 2 .- 1
        qv .*= 1 .+ (0:999) .% 7
        for T in (Float64, Float32), norm in (:l2, :max)
            v = T.(qv)
            bytes = Q.encode(v; levels = 4, bucket_size = 128, norm = norm, seed = 3)
            @test length(bytes) <= Q.max_encoded_len(length(v), T; levels = 4, bucket_size = 128, norm = norm)
            dq = Q.decode(bytes)
            @test eltype(dq) == T && dq == Q.quantize(v; levels = 4, bucket_size = 128, norm = norm, seed = 3)
            inf = Q.stream_info(bytes)
            @test inf.dtype == T && inf.n == 1000 && inf.levels == 4 && inf.norm == norm && inf.total_bytes == length(bytes)
            @test Q.encode(v; levels = 4, bucket_size = 128, norm = norm, seed = 3) == bytes
        end
        @test size(Q.quantize(reshape(qv, 40, 25))) == (40, 25)
        # Unbiased: the mean over seeds is within a few standard deviations of the exact variance.
        s, b, draws = 4, 50, 400
        v = qv[1:300]
        mean = zeros(300)
        for seed in 0:draws-1
            mean .+= Q.quantize(v; levels = s, bucket_size = b, seed = seed) ./ draws
        end
        var = similar(v)
        for j in 1:b:300
            vb = v[j:j+b-1]
            sigma = sqrt(sum(abs2, vb))
            xq = s .* abs.(vb) ./ sigma
            pq = xq .- floor.(xq)
            var[j:j+b-1] .= (sigma / s)^2 .* pq .* (1 .- pq)
        end
        @test maximum(abs.(mean .- v) ./ sqrt.(var ./ draws .+ 1e-300)) < 5.5
        bytes = Q.encode(v)
        for k in 0:3:length(bytes)-1
            @test err(() -> Q.decode(bytes[1:k])).status == LibTessera.TSR_ERR_BAD_DATA
        end
        for i in 1:11:length(bytes)
            bad = copy(bytes)
            bad[i] ⊻= UInt8(1) << ((i - 1) % 8)
            @test err(() -> Q.decode(bad)).status == LibTessera.TSR_ERR_BAD_DATA
        end
        @test err(() -> Q.decode(bytes, Float32)).status == LibTessera.TSR_ERR_WRONG_DTYPE
        @test err(() -> Q.decode(Q.encode(Float32.(v)), Float64)).status == LibTessera.TSR_ERR_WRONG_DTYPE
        nanv = copy(v); nanv[17] = NaN
        @test err(() -> Q.encode(nanv)).status == LibTessera.TSR_ERR_NON_FINITE
        @test err(() -> Q.quantize(v; levels = 0)).status == LibTessera.TSR_ERR_INVALID_PARAMETER
        @test err(() -> Q.quantize(v; norm = 7)).status == LibTessera.TSR_ERR_INVALID_ENUM
        @test err(() -> Q.quantize(v; norm = :l1)) isa ArgumentError
        @test err(() -> Q.quantize([1e308, 1e308, -1e308, 1e308])).status == LibTessera.TSR_ERR_DOMAIN
        @test all(isfinite, Q.quantize([1e308, 1e308, -1e308, 1e308]; norm = :max))

        # f-divergences: F = f(1) at P = Q with the optimal critic; gradients against differences.
        optimum = Dict(:kl => 1.0, :reverse_kl => 0.0, :pearson => 0.0, :neyman => 0.0, :squared_hellinger => 0.0,
                       :jensen_shannon => 0.0, :gan => 0.0)
        for (dv, v0) in optimum
            f = fdiv_objective(dv, fill(v0, 6), fill(v0, 9))
            @test abs(f - (dv === :gan ? -log(4.0) : 0.0)) < 1e-15
            _, gp, gq = fdiv_objective(dv, fill(v0, 6), fill(v0, 9); grad = true)
            @test abs(sum(gp) + sum(gq)) < 1e-15
            vp, vq = 0.8 .* (2 .* rand(rng, 6) .- 1), 0.8 .* (2 .* rand(rng, 1, 9) .- 1)
            f, gp, gq = fdiv_objective(dv, vp, vq; grad = true)
            @test size(gq) == (1, 9)
            h = 1e-6
            for (w, g) in ((vp, gp), (vq, gq)), k in eachindex(w)
                keep = w[k]
                w[k] = keep + h; up = fdiv_objective(dv, vp, vq)
                w[k] = keep - h; down = fdiv_objective(dv, vp, vq)
                w[k] = keep
                @test abs((up - down) / 2h - g[k]) < 1e-8
            end
            f32 = fdiv_objective(dv, Float32.(vp), Float32.(vq))
            @test abs(f32 - f) < 1e-5 * (1 + abs(f))
        end
        @test err(() -> fdiv_objective(7, zeros(4), zeros(3))).status == LibTessera.TSR_ERR_INVALID_ENUM
        @test err(() -> fdiv_objective(:kl, zeros(0), zeros(3))).status == LibTessera.TSR_ERR_BAD_EXTENT
        @test err(() -> fdiv_objective(:gan, zeros(4), [0.0, Inf, 0.0])).status == LibTessera.TSR_ERR_NON_FINITE
        @test err(() -> fdiv_objective(:wasserstein, zeros(4), zeros(3))) isa ArgumentError
    end
end
