! Tests of the Fortran network, f-divergence and QSGD layer (tessera_nn.inc), 1-based throughout:
! - training: a 2-8-3 tanh network (real64 and real32) on three blobs, one sample per column,
!   reaches >= 90% training accuracy with Adam and 1-based labels; info and layers describe
!   it; forward equals y = W2 tanh(W1 x + b1) + b2 computed here with matmul from the layer
!   pointers;
! - gradients (real64): the kept gradient and dL/dx of the squared-error loss against central
!   differences through the params pointer (1e-8); vjp with upstream (y - t)/B agrees;
! - optimisers: step() with the kept gradient equals step(g) with a copy, bit for bit, for SGD,
!   Adam and Path-SGD, and the loss falls;
! - files: save/load and save_bytes/load_bytes round trips are bit-exact; the other kind's
!   passes give TSR_ERR_WRONG_DTYPE;
! - QSGD: decode(encode(v)) == quantize(v) bit for bit (both norms, real64 and real32), stream
!   info, the mean over seeds converges to v;
! - f-divergences: the KL bound is tight at the optimal critic of two discrete distributions
!   (F = ln 2 / 4), GAN at P = Q is -ln 4, Pearson against its closed form, gradients against
!   central differences, real32 against real64;
! - statuses through stat= for library errors and Fortran-side checks; outputs untouched.
! Exits with status 1 on any failure.
program test_nn
  use, intrinsic :: iso_c_binding
  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan, ieee_positive_inf
  use tessera
  implicit none
  integer, parameter :: nin = 2, nhid = 8, nout = 3, nsamp = 96
  integer, parameter :: nparams = (nin + 1) * nhid + (nhid + 1) * nout
  integer :: failures

  failures = 0
  call training_f64()
  call training_f32()
  call gradients()
  call optimisers_and_files()
  call qsgd()
  call fdiv()
  call bad_inputs()

  if (failures > 0) then
    print '(a, i0, a)', 'test_nn (Fortran): ', failures, ' failed'
    error stop 1
  end if
  print '(a)', 'test_nn (Fortran): all passed'

contains

  subroutine expect(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (.not. ok) then
      failures = failures + 1
      print '(2a)', 'FAILED: ', what
    end if
  end subroutine

  ! A library failure: the status and a message.
  subroutine expect_status(st, want, what)
    integer, intent(in) :: st, want
    character(len=*), intent(in) :: what
    if (st /= want) then
      failures = failures + 1
      print '(5a)', 'FAILED: ', what, ': got ', tsr_status_name(st), ', expected ' // tsr_status_name(want)
    end if
  end subroutine

  ! Deterministic numbers in [-1, 1).
  real(c_double) function uniform(i)
    integer, intent(in) :: i
    uniform = 2 * modulo(sin(real(i, c_double) * 12.9898_c_double) * 43758.5453_c_double, 1.0_c_double) - 1
  end function

  ! Bit-for-bit equality of two real64 arrays.
  logical function same_bits(a, b)
    real(c_double), intent(in) :: a(:), b(:)
    same_bits = size(a) == size(b)
    if (same_bits) same_bits = all(transfer(a, 1_c_int64_t, size(a)) == transfer(b, 1_c_int64_t, size(b)))
  end function

  logical function same_bits_f32(a, b)
    real(c_float), intent(in) :: a(:), b(:)
    same_bits_f32 = size(a) == size(b)
    if (same_bits_f32) same_bits_f32 = all(transfer(a, 1_c_int32_t, size(a)) == transfer(b, 1_c_int32_t, size(b)))
  end function

  ! Three blobs in the plane, one per class, one sample per column; labels 1..3.
  subroutine blobs(x, labels)
    real(c_double), intent(out) :: x(nin, nsamp)
    integer, intent(out) :: labels(nsamp)
    real(c_double), parameter :: centre(nin, 3) = reshape([-1d0, -0.5d0, 1d0, -0.5d0, 0d0, 1d0], [nin, 3])
    integer :: s
    do s = 1, nsamp
      labels(s) = mod(s - 1, 3) + 1
      x(:, s) = centre(:, labels(s)) + 0.3_c_double * [uniform(2 * s), uniform(2 * s + 1)]
    end do
  end subroutine

  subroutine classifier(net, dtype, seed)
    type(tsr_network), intent(inout) :: net
    integer, intent(in) :: dtype
    integer(c_int64_t), intent(in) :: seed
    integer :: st
    call net%init([nin, nhid, nout], [TSR_NN_TANH, TSR_NN_IDENTITY], TSR_NN_SOFTMAX_CROSS_ENTROPY, dtype=dtype, &
        seed=seed, max_batch=nsamp, num_threads=1, stat=st)
    call expect_status(st, TSR_OK, 'classifier init')
  end subroutine

  integer function correct(y, labels)
    real(c_double), intent(in) :: y(:,:)
    integer, intent(in) :: labels(:)
    integer :: s
    correct = 0
    do s = 1, size(labels)
      if (maxloc(y(:, s), 1) == labels(s)) correct = correct + 1
    end do
  end function

  subroutine training_f64()
    type(tsr_network) :: net
    type(tsr_nn_info) :: info
    real(c_double) :: x(nin, nsamp), y(nout, nsamp), h(nhid, nsamp), yh(nout, nsamp), loss, first, worst
    real(c_double), pointer :: w1(:,:), b1(:), w2(:,:), b2(:), p(:)
    integer :: labels(nsamp), sizes(3), acts(2), st, step, ok
    call blobs(x, labels)
    call classifier(net, TSR_NN_F64, 7_c_int64_t)
    call expect(net%is_live() .and. net%dtype == TSR_NN_F64 .and. net%inputs == nin .and. net%outputs == nout .and. &
        net%nlayers == 2 .and. net%num_params == nparams, 'f64: cached summary')
    call net%set_optimiser(kind=TSR_NN_ADAM, learning_rate=0.02_c_double)
    first = 0
    loss = 0
    do step = 1, 300
      call net%train_step(x, labels, loss=loss, stat=st)
      if (st /= TSR_OK) exit
      if (step == 1) first = loss
    end do
    call expect_status(st, TSR_OK, 'f64: train_step')
    call expect(loss < 0.25_c_double * first, 'f64: the loss falls below a quarter')
    call net%forward(x, y)
    ok = correct(y, labels)
    call expect(10 * ok >= 9 * nsamp, 'f64: training accuracy >= 90%')
    call net%info(info)
    call expect(info%dtype == TSR_NN_F64 .and. info%nlayers == 2 .and. info%inputs == nin .and. info%outputs == nout &
        .and. info%num_params == nparams .and. info%loss == TSR_NN_SOFTMAX_CROSS_ENTROPY .and. &
        info%optimiser == TSR_NN_ADAM .and. info%max_batch == nsamp .and. info%num_threads == 1, 'f64: info')
    call net%layers(sizes, acts)
    call expect(all(sizes == [nin, nhid, nout]) .and. all(acts == [TSR_NN_TANH, TSR_NN_IDENTITY]), 'f64: layers')
    ! The same outputs by hand from the layer pointers.
    call net%layer(1, w1, b1)
    call net%layer(2, w2, b2)
    call net%params(p)
    call expect(all(shape(w1) == [nhid, nin]) .and. size(b1) == nhid .and. all(shape(w2) == [nout, nhid]) .and. &
        size(b2) == nout .and. size(p) == nparams, 'f64: layer shapes')
    call expect(w1(1, 1) == p(1) .and. b2(nout) == p(nparams), 'f64: layers inside the parameter buffer')
    h = tanh(matmul(w1, x) + spread(b1, 2, nsamp))
    yh = matmul(w2, h) + spread(b2, 2, nsamp)
    worst = maxval(abs(yh - y))
    call expect(worst < 1e-12_c_double, 'f64: forward = W2 tanh(W1 x + b1) + b2')
    print '(a, f7.4, a, f7.4, a, i0, a, i0, a, es9.2)', 'training (real64): loss ', first, ' -> ', loss, ', accuracy ', &
        ok, '/', nsamp, ', forward vs hand ', worst
    call net%free()
    call expect(.not. net%is_live() .and. net%inputs == 0, 'f64: free')
  end subroutine

  subroutine training_f32()
    type(tsr_network) :: net
    real(c_double) :: xd(nin, nsamp), loss, first
    real(c_float) :: x(nin, nsamp), y(nout, nsamp), yh(nout, nsamp)
    real(c_float), pointer :: w1(:,:), b1(:), w2(:,:), b2(:)
    integer :: labels(nsamp), st, step, ok
    call blobs(xd, labels)
    x = real(xd, c_float)
    call classifier(net, TSR_NN_F32, 7_c_int64_t)
    call net%set_optimiser(learning_rate=0.02_c_double)
    first = 0
    loss = 0
    do step = 1, 300
      call net%train_step(x, labels, loss=loss, stat=st)
      if (st /= TSR_OK) exit
      if (step == 1) first = loss
    end do
    call expect_status(st, TSR_OK, 'f32: train_step')
    call expect(loss < 0.25_c_double * first, 'f32: the loss falls below a quarter')
    call net%forward(x, y)
    ok = correct(real(y, c_double), labels)
    call expect(10 * ok >= 9 * nsamp, 'f32: training accuracy >= 90%')
    call net%layer(1, w1, b1)
    call net%layer(2, w2, b2)
    yh = matmul(w2, tanh(matmul(w1, x) + spread(b1, 2, nsamp))) + spread(b2, 2, nsamp)
    call expect(maxval(abs(yh - y)) < 1e-5, 'f32: forward = W2 tanh(W1 x + b1) + b2')
    print '(a, f7.4, a, f7.4, a, i0, a, i0)', 'training (real32): loss ', first, ' -> ', loss, ', accuracy ', ok, '/', nsamp
    call net%free()
  end subroutine

  subroutine gradients()
    integer, parameter :: nb = 5
    type(tsr_network) :: net
    real(c_double) :: x(nin, nb), t(nout, nb), y(nout, nb), up(nout, nb), gx(nin, nb), gx2(nin, nb)
    real(c_double) :: g(nparams), g2(nparams), saved(nparams), loss, lp, lm, worst, worst_x, diff
    real(c_double), parameter :: h = 1e-6_c_double
    real(c_double), pointer :: p(:)
    integer :: i, j, k, st
    do j = 1, nb
      do i = 1, nin
        x(i, j) = uniform(100 + i + nin * j)
      end do
      do i = 1, nout
        t(i, j) = 0.5_c_double + 0.5_c_double * uniform(200 + i + nout * j)
      end do
    end do
    call net%init([nin, nhid, nout], [TSR_NN_TANH, TSR_NN_SIGMOID], TSR_NN_SQUARED_ERROR, dtype=TSR_NN_F64, &
        seed=3_c_int64_t, stat=st)
    call expect_status(st, TSR_OK, 'gradients: init')
    loss = 0
    call net%backward(x, t, loss=loss, input_grad=gx)
    call net%forward(x, y)
    call expect(abs(loss - sum((y - t)**2) / (2 * nb)) < 1e-15_c_double, 'gradients: loss = (1/B) sum 1/2 |y - t|^2')
    call net%params(p)
    saved = p
    call net%gradient(g)
    worst = 0
    do k = 1, nparams
      p(k) = saved(k) + h
      call net%backward(x, t, loss=lp)
      p(k) = saved(k) - h
      call net%backward(x, t, loss=lm)
      p(k) = saved(k)
      worst = max(worst, abs((lp - lm) / (2 * h) - g(k)))
    end do
    call expect(worst < 1e-8_c_double, 'gradients: parameters against central differences')
    worst_x = 0
    do j = 1, nb
      do i = 1, nin
        x(i, j) = x(i, j) + h
        call net%backward(x, t, loss=lp)
        x(i, j) = x(i, j) - 2 * h
        call net%backward(x, t, loss=lm)
        x(i, j) = x(i, j) + h
        worst_x = max(worst_x, abs((lp - lm) / (2 * h) - gx(i, j)))
      end do
    end do
    call expect(worst_x < 1e-8_c_double, 'gradients: inputs against central differences')
    ! The VJP with upstream (y - t)/B is the same gradient.
    call net%forward(x, y)
    up = (y - t) / nb
    call net%vjp(x, up, input_grad=gx2)
    call net%gradient(g2)
    diff = max(maxval(abs(gx2 - gx)), maxval(abs(g2 - g)))
    call expect(diff < 1e-15_c_double, 'gradients: vjp = backward')
    print '(a, es9.2, a, es9.2, a, es9.2)', 'gradients (real64): parameters vs differences ', worst, ', inputs ', worst_x, &
        ', vjp vs backward ', diff
    call net%free()
  end subroutine

  subroutine optimisers_and_files()
    type(tsr_network) :: a, b, c
    type(tsr_nn_info) :: info
    real(c_double) :: x(nin, nsamp), y1(nout, nsamp), y2(nout, nsamp), g(nparams), l0, l, rate
    real(c_float) :: xf(nin, nsamp), yf(nout, nsamp)
    real(c_double), pointer :: pa(:), pb(:), pc(:)
    integer(c_int8_t), allocatable :: bytes(:), again(:)
    integer :: labels(nsamp), kinds(3), kind, i, st, clock
    character(len=64) :: path
    call blobs(x, labels)
    call classifier(a, TSR_NN_F64, 11_c_int64_t)
    call a%save_bytes(bytes)
    call b%load_bytes(bytes, stat=st)
    call expect_status(st, TSR_OK, 'load_bytes')
    call b%info(info)
    call expect(info%dtype == TSR_NN_F64 .and. info%nlayers == 2 .and. info%num_params == nparams .and. &
        info%loss == TSR_NN_SOFTMAX_CROSS_ENTROPY .and. info%optimiser == TSR_NN_ADAM .and. info%max_batch == 256, &
        'load_bytes: info (max_batch is not in the file)')
    call a%params(pa)
    call b%params(pb)
    call expect(same_bits(pa, pb), 'load_bytes: the same parameters')
    call b%save_bytes(again)
    call expect(size(again) == size(bytes), 'save_bytes of the loaded network: same length')
    if (size(again) == size(bytes)) call expect(all(again == bytes), 'save_bytes of the loaded network: same bytes')
    kinds = [TSR_NN_SGD, TSR_NN_ADAM, TSR_NN_PATH_SGD]
    do i = 1, 3
      kind = kinds(i)
      rate = merge(0.01_c_double, 0.1_c_double, kind == TSR_NN_ADAM)
      call a%set_optimiser(kind=kind, learning_rate=rate)
      call b%set_optimiser(kind=kind, learning_rate=rate)
      pb = pa
      l0 = 0
      l = 0
      do st = 1, 20
        call a%backward(x, labels, loss=l)
        if (st == 1) l0 = l
        call a%step()
        call b%backward(x, labels)
        call b%gradient(g)
        call b%step(g)
      end do
      call expect(same_bits(pa, pb), 'step() = step(copy of the gradient), bit for bit')
      call expect(l < l0, 'the optimiser lowers the loss')
      call a%info(info)
      call expect(info%optimiser == kind, 'info%optimiser after set_optimiser')
    end do
    ! Files: save, load, the same outputs bit for bit (a name of this run's own).
    call system_clock(clock)
    write(path, '(a, i0, a)') 'nn_f_test_', clock, '.bin'
    call a%save(path, stat=st)
    call expect_status(st, TSR_OK, 'save')
    call c%load(path, max_batch=nsamp, stat=st)
    call expect_status(st, TSR_OK, 'load')
    call a%forward(x, y1)
    call c%forward(x, y2)
    call expect(same_bits(reshape(y1, [nout * nsamp]), reshape(y2, [nout * nsamp])), 'save/load: the same outputs')
    call c%params(pc)
    call expect(same_bits(pa, pc), 'save/load: the same parameters')
    ! The real32 passes on a real64 network.
    xf = real(x, c_float)
    yf = -7
    call c%forward(xf, yf, stat=st)
    call expect_status(st, TSR_ERR_WRONG_DTYPE, 'real32 forward on a real64 network')
    call expect(len(tsr_error_message()) > 0 .and. all(yf == -7), 'WRONG_DTYPE: message, output untouched')
    call c%free()
    open(newunit=i, file=path, status='old')
    close(i, status='delete')
    call c%load(path, stat=st)
    call expect_status(st, TSR_ERR_IO, 'load of a removed file')
    call expect(.not. c%is_live(), 'a failed load leaves no handle')
    print '(a, i0, a)', 'optimisers and files: kept-gradient steps bit-exact for SGD, Adam, Path-SGD; ', size(bytes), &
        '-byte file round trips bit-exact'
    call a%free()
    call b%free()
  end subroutine

  subroutine qsgd()
    integer, parameter :: n = 1000
    real(c_double) :: v(n), q(n), mean(n), err
    real(c_double), allocatable :: d(:), dd(:)
    real(c_float) :: vf(n), qf(n)
    real(c_float), allocatable :: df(:)
    integer(c_int8_t), allocatable :: bytes(:), bad(:)
    type(tsr_qsgd_stream_info) :: info
    integer :: i, norm, st
    integer(c_int64_t) :: seed
    do i = 1, n
      v(i) = uniform(1000 + i) * (1 + mod(i, 7))
    end do
    err = 0
    do norm = TSR_QSGD_NORM_L2, TSR_QSGD_NORM_MAX
      call tsr_qsgd_encode(v, bytes, levels=4, bucket_size=128, norm=norm, stat=st)
      call expect_status(st, TSR_OK, 'qsgd encode')
      call tsr_qsgd_decode(bytes, d, stat=st)
      call expect_status(st, TSR_OK, 'qsgd decode')
      call tsr_qsgd_quantize(v, q, levels=4, bucket_size=128, norm=norm)
      call expect(allocated(d), 'qsgd decode allocates')
      if (allocated(d)) call expect(same_bits(d, q), 'qsgd: decode(encode(v)) = quantize(v) bit for bit')
      call expect(any(q /= v), 'qsgd: quantised values differ from v')
      call tsr_qsgd_info(bytes, info)
      call expect(info%dtype == TSR_NN_F64 .and. info%n == n .and. info%levels == 4 .and. info%bucket_size == 128 .and. &
          info%norm == norm .and. info%total_bytes == size(bytes) .and. info%bits_per_coordinate > 0 .and. &
          info%bits_per_coordinate < 64, 'qsgd: stream info')
      ! Unbiased: the mean of many draws converges to v.
      mean = 0
      do seed = 0, 399
        call tsr_qsgd_quantize(v, q, levels=4, bucket_size=128, norm=norm, seed=seed)
        mean = mean + q / 400
      end do
      err = max(err, maxval(abs(mean - v)))
    end do
    call expect(err < 1.5_c_double, 'qsgd: the mean over 400 seeds is within 1.5 of v')
    ! real32 with the default options.
    vf = real(v, c_float)
    call tsr_qsgd_encode(vf, bytes)
    call tsr_qsgd_decode(bytes, df)
    call tsr_qsgd_quantize(vf, qf)
    call expect(same_bits_f32(df, qf), 'qsgd real32: decode(encode(v)) = quantize(v) bit for bit')
    call tsr_qsgd_decode(bytes, dd, stat=st)
    call expect_status(st, TSR_ERR_WRONG_DTYPE, 'qsgd: a real32 stream into real64')
    call expect(.not. allocated(dd), 'qsgd: nothing allocated on failure')
    ! Damaged streams and bad options.
    bad = bytes(1:size(bytes) - 1)
    call tsr_qsgd_decode(bad, df, stat=st)
    call expect_status(st, TSR_ERR_BAD_DATA, 'qsgd: truncated stream')
    bad = bytes
    bad(size(bad) / 2) = ieor(bad(size(bad) / 2), 32_c_int8_t)
    call tsr_qsgd_decode(bad, df, stat=st)
    call expect_status(st, TSR_ERR_BAD_DATA, 'qsgd: corrupted stream')
    call tsr_qsgd_info(bad, info, stat=st)
    call expect_status(st, TSR_ERR_BAD_DATA, 'qsgd info: corrupted stream')
    call tsr_qsgd_encode(v, bytes, levels=0, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'qsgd: levels = 0')
    call tsr_qsgd_quantize(v, q, norm=7, stat=st)
    call expect_status(st, TSR_ERR_INVALID_ENUM, 'qsgd: norm = 7')
    call tsr_qsgd_quantize(v, q(1:n - 1), stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'qsgd: out of the wrong length')
    v(17) = ieee_value(v(17), ieee_quiet_nan)
    q = -9
    call tsr_qsgd_quantize(v, q, stat=st)
    call expect_status(st, TSR_ERR_NON_FINITE, 'qsgd: NaN')
    call expect(all(q == -9), 'qsgd: out untouched on failure')
    print '(a, f6.3, a)', 'qsgd: decode == quantize bit for bit (L2, max, real32); mean of 400 draws within ', err, ' of v'
  end subroutine

  subroutine fdiv()
    real(c_double), parameter :: p(3) = [0.5d0, 0.25d0, 0.25d0], q(3) = [0.25d0, 0.25d0, 0.5d0]
    integer, parameter :: sp(4) = [1, 1, 2, 3], sq(4) = [1, 2, 3, 3]
    real(c_double) :: vp(4), vq(4), f, kl, a(6), b(9), ga(6), gb(9), z6(6), z9(9), g6(6), g9(9), closed
    real(c_double) :: fp, fm, keep, worst, worst32, f32
    real(c_double), parameter :: h = 1e-6_c_double
    integer :: d, i, st
    ! KL(P||Q) from batches holding P and Q exactly, at the optimal critic 1 + ln(p/q).
    vp = 1 + log(p(sp) / q(sp))
    vq = 1 + log(p(sq) / q(sq))
    kl = log(2.0_c_double) / 4
    call tsr_fdiv_objective(TSR_FDIV_KL, vp, vq, f)
    call expect(abs(f - kl) < 1e-15_c_double, 'fdiv: KL bound tight at the optimal critic')
    call tsr_fdiv_objective(TSR_FDIV_KL, vp + 0.1_c_double, vq + 0.1_c_double, f)
    call expect(f < kl, 'fdiv: another critic is below KL')
    ! GAN at P = Q with v = 0: -ln 4, and the gradients balance.
    z6 = 0
    z9 = 0
    call tsr_fdiv_objective(TSR_FDIV_GAN, z6, z9, f, grad_p=g6, grad_q=g9)
    call expect(abs(f + log(4.0_c_double)) < 1e-15_c_double .and. abs(sum(g6) + sum(g9)) < 1e-15_c_double, &
        'fdiv: GAN at P = Q is -ln 4, stationary')
    ! Pearson: g_f(v) = v, f*(g_f(v)) = v (v/4 + 1).
    do i = 1, 6
      a(i) = 0.8_c_double * uniform(300 + i)
    end do
    do i = 1, 9
      b(i) = 0.8_c_double * uniform(400 + i)
    end do
    closed = sum(a) / 6 - sum(b * (b / 4 + 1)) / 9
    call tsr_fdiv_objective(TSR_FDIV_PEARSON, a, b, f)
    call expect(abs(f - closed) < 1e-15_c_double, 'fdiv: Pearson closed form')
    ! Gradients against central differences; real32 against real64.
    worst = 0
    worst32 = 0
    do d = TSR_FDIV_KL, TSR_FDIV_GAN
      call tsr_fdiv_objective(d, a, b, f, grad_p=ga, grad_q=gb)
      do i = 1, 15
        if (i <= 6) then
          keep = a(i)
          a(i) = keep + h
          call tsr_fdiv_objective(d, a, b, fp)
          a(i) = keep - h
          call tsr_fdiv_objective(d, a, b, fm)
          a(i) = keep
          worst = max(worst, abs((fp - fm) / (2 * h) - ga(i)))
        else
          keep = b(i - 6)
          b(i - 6) = keep + h
          call tsr_fdiv_objective(d, a, b, fp)
          b(i - 6) = keep - h
          call tsr_fdiv_objective(d, a, b, fm)
          b(i - 6) = keep
          worst = max(worst, abs((fp - fm) / (2 * h) - gb(i - 6)))
        end if
      end do
      call tsr_fdiv_objective(d, real(a, c_float), real(b, c_float), f32)
      worst32 = max(worst32, abs(f32 - f) / (1 + abs(f)))
    end do
    call expect(worst < 1e-8_c_double .and. worst32 < 1e-5_c_double, 'fdiv: gradients and real32')
    ! Bad input: nothing written.
    f = 42
    ga = -3
    call tsr_fdiv_objective(7, a, b, f, grad_p=ga, grad_q=gb, stat=st)
    call expect_status(st, TSR_ERR_INVALID_ENUM, 'fdiv: divergence 7')
    call tsr_fdiv_objective(TSR_FDIV_KL, a(1:0), b, f, stat=st)
    call expect_status(st, TSR_ERR_BAD_EXTENT, 'fdiv: empty v_p')
    call tsr_fdiv_objective(TSR_FDIV_KL, a, b, f, grad_p=ga, stat=st)
    call expect_status(st, TSR_ERR_NULL_POINTER, 'fdiv: grad_p without grad_q')
    call tsr_fdiv_objective(TSR_FDIV_KL, a, b, f, grad_p=ga(1:5), grad_q=gb, stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'fdiv: grad_p of the wrong length')
    b(2) = ieee_value(b(2), ieee_positive_inf)
    call tsr_fdiv_objective(TSR_FDIV_KL, a, b, f, grad_p=ga, grad_q=gb, stat=st)
    call expect_status(st, TSR_ERR_NON_FINITE, 'fdiv: infinite v_q')
    call expect(f == 42 .and. all(ga == -3), 'fdiv: outputs untouched on failure')
    print '(a, es9.2)', 'fdiv: KL bound tight, GAN at P = Q = -ln 4, gradients vs differences ', worst
  end subroutine

  subroutine bad_inputs()
    integer, parameter :: nb = 8
    type(tsr_network) :: net, other
    real(c_double) :: x(nin, nb), y(nout, nb), t(nout, nb), g(nparams), before(nparams), big(nin, nsamp + 1), loss
    real(c_double) :: x3(nin + 1, nb), g5(5), empty(0)
    real(c_double), pointer :: p(:), w(:,:)
    integer :: labels(nb), sizes(2), acts(2), st, i
    do i = 1, nb
      x(:, i) = [uniform(500 + 2 * i), uniform(501 + 2 * i)]
    end do
    labels = [1, 2, 3, 1, 2, 3, 1, 2]
    y = -7
    t = 0
    loss = 42
    call classifier(net, TSR_NN_F64, 1_c_int64_t)
    call net%params(p)
    before = p

    ! Specs.
    call other%init([nin, nhid, nout], [TSR_NN_RELU], TSR_NN_SQUARED_ERROR, stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'init: one activation for two layers')
    call other%init([nin], [integer ::], TSR_NN_SQUARED_ERROR, stat=st)
    call expect_status(st, TSR_ERR_BAD_EXTENT, 'init: no layer')
    call expect(len(tsr_error_message()) > 0, 'init: a library message')
    call other%init([nin, 0, nout], [TSR_NN_RELU, TSR_NN_IDENTITY], TSR_NN_SQUARED_ERROR, stat=st)
    call expect_status(st, TSR_ERR_BAD_EXTENT, 'init: a layer of size 0')
    call other%init([nin, nhid, nout], [99, TSR_NN_IDENTITY], TSR_NN_SQUARED_ERROR, stat=st)
    call expect_status(st, TSR_ERR_INVALID_ENUM, 'init: activation 99')
    call other%init([nin, nhid, nout], [TSR_NN_RELU, TSR_NN_IDENTITY], 17, stat=st)
    call expect_status(st, TSR_ERR_INVALID_ENUM, 'init: loss 17')
    call other%init([nin, nout], [TSR_NN_IDENTITY], TSR_NN_SQUARED_ERROR, dtype=3, stat=st)
    call expect_status(st, TSR_ERR_INVALID_ENUM, 'init: dtype 3')
    call other%init([nin, nout], [TSR_NN_IDENTITY], TSR_NN_SQUARED_ERROR, max_batch=0, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'init: max_batch 0')
    call expect(.not. other%is_live(), 'init: no handle after failures')

    ! Passes: nothing written, parameters unchanged.
    labels(4) = 0
    call net%train_step(x, labels, loss=loss, stat=st)
    call expect_status(st, TSR_ERR_DOMAIN, 'train_step: label 0 (1-based)')
    labels(4) = nout + 1
    call net%backward(x, labels, loss=loss, stat=st)
    call expect_status(st, TSR_ERR_DOMAIN, 'backward: label n_L + 1')
    labels(4) = 1
    call net%train_step(x, labels(1:7), stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'train_step: 7 labels for 8 samples')
    call net%train_step(x, t, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'train_step: targets for softmax cross-entropy')
    call other%init([nin, nhid, nout], [TSR_NN_RELU, TSR_NN_IDENTITY], TSR_NN_LOGISTIC, dtype=TSR_NN_F64, stat=st)
    call other%backward(x, labels, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'backward: labels for the logistic loss')
    t(3, 2) = 1.5_c_double
    call other%train_step(x, t, stat=st)
    call expect_status(st, TSR_ERR_DOMAIN, 'train_step: logistic target 1.5')
    t(3, 2) = 0
    call other%train_step(x, t(:, 1:7), stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'train_step: 7 targets for 8 samples')
    call other%free()
    x(2, 3) = ieee_value(x(2, 3), ieee_quiet_nan)
    call net%train_step(x, labels, loss=loss, stat=st)
    call expect_status(st, TSR_ERR_NON_FINITE, 'train_step: NaN input')
    call net%forward(x, y, stat=st)
    call expect_status(st, TSR_ERR_NON_FINITE, 'forward: NaN input')
    x(2, 3) = 0.25_c_double
    x3 = 0
    call net%forward(x3, y, stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'forward: 3 features for 2 inputs')
    call net%forward(x, y(:, 1:7), stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'forward: 7 output columns for 8 samples')
    call net%forward(x(:, 1:0), y(:, 1:0), stat=st)
    call expect_status(st, TSR_ERR_BAD_EXTENT, 'forward: empty batch')
    call net%vjp(x, t(1:2, :), stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'vjp: upstream of 2 rows for 3 outputs')
    call net%step(g5, stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'step: 5 values')
    call net%step(empty, stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'step: empty gradient (not the kept-gradient step)')
    g = 0
    g(5) = ieee_value(g(5), ieee_quiet_nan)
    call net%step(g, stat=st)
    call expect_status(st, TSR_ERR_NON_FINITE, 'step: NaN gradient')
    call net%gradient(g5, stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'gradient: 5 values')
    call net%layer(3, w, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'layer 3 of 2')
    call net%layer(0, w, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'layer 0 (1-based)')
    call expect(.not. associated(w), 'layer: no pointer on failure')
    call net%layers(sizes, acts, stat=st)
    call expect_status(st, TSR_ERR_SHAPE_MISMATCH, 'layers: 2 sizes for 3')
    big = 0
    call net%train_step(big, [(1, i = 1, nsamp + 1)], stat=st)
    call expect_status(st, TSR_ERR_BAD_EXTENT, 'train_step: batch above max_batch')
    call net%set_optimiser(kind=TSR_NN_SGD, momentum=1.0_c_double, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'set_optimiser: momentum 1')
    call net%set_optimiser(kind=TSR_NN_PATH_SGD, path_p=0.5_c_double, stat=st)
    call expect_status(st, TSR_ERR_INVALID_PARAMETER, 'set_optimiser: path_p 0.5')
    call net%set_optimiser(kind=9, stat=st)
    call expect_status(st, TSR_ERR_INVALID_ENUM, 'set_optimiser: kind 9')
    call expect(loss == 42 .and. all(y == -7), 'outputs untouched on failure')
    call expect(same_bits(p, before), 'parameters unchanged by the failures')
    ! A non-finite parameter written in place is caught by the next pass.
    p(nparams) = ieee_value(p(nparams), ieee_quiet_nan)
    call net%forward(x, y, stat=st)
    call expect_status(st, TSR_ERR_NON_FINITE, 'forward: NaN parameter')
    p(nparams) = before(nparams)

    ! Parameter files and handles.
    call other%load('/nonexistent/dir/params.bin', stat=st)
    call expect_status(st, TSR_ERR_IO, 'load: missing file')
    call net%save('/nonexistent/dir/params.bin', stat=st)
    call expect_status(st, TSR_ERR_IO, 'save: unwritable path')
    call other%load_bytes([integer(c_int8_t) :: 1, 2, 3], stat=st)
    call expect_status(st, TSR_ERR_BAD_DATA, 'load_bytes: three bytes')
    call net%free()
    call net%forward(x, y, stat=st)
    call expect_status(st, TSR_ERR_NULL_POINTER, 'forward after free')
    call net%train_step(x, labels, stat=st)
    call expect_status(st, TSR_ERR_NULL_POINTER, 'train_step after free')
    call net%step(stat=st)
    call expect_status(st, TSR_ERR_NULL_POINTER, 'step after free')
    call net%params(p, stat=st)
    call expect_status(st, TSR_ERR_NULL_POINTER, 'params after free')
    call expect(.not. associated(p), 'params: no pointer on failure')
    print '(a)', 'bad inputs: checked'
  end subroutine

end program
