! Tests of the Fortran binding: closed forms, real32 and real64, points as columns, rank-1 and
! strided actual arguments, statuses through stat=. Exits with status 1 on any failure.
program test_tessera
  use, intrinsic :: iso_c_binding
  use tessera
  implicit none
  integer, parameter :: n = 40, d = 4
  real(c_double), parameter :: c = 0.7_c_double
  type(tsr_ball) :: ball
  real(c_double) :: x(d, n), y(d, n), z(d, n), ref(d, n), zero(d, n), g(d, n), gx(d, n), gy(d, n)
  real(c_double) :: big(2*d, n), one(d, 1), fx(d, n)
  real(c_float) :: xf(d, n), yf(d, n), zf(d, n)
  real(c_double) :: h, num
  integer :: failures, st, i, k
  character(len=:), allocatable :: msg

  failures = 0
  call random_seed()
  call sample(x, 1)
  call sample(y, 2)
  call sample(g, 3)

  call ball%init(c, num_threads=1)
  call expect(ball%is_live() .and. abs(ball%curvature() - c) < 1e-15_c_double, 'init and curvature')
  call expect(tsr_version_str() /= '', 'version string')

  ! Closed form, one point per column.
  call ball%mobius_add(x, y, z)
  call mobius_add_ref(x, y, ref)
  call expect(maxval(abs(z - ref)) < 1e-14_c_double, 'mobius_add vs closed form')

  ! x (+) 0 = x and (-x) (+) x = 0.
  zero = 0
  call ball%mobius_add(x, zero, z)
  call expect(maxval(abs(z - x)) < 1e-15_c_double, 'x (+) 0 = x')
  call ball%mobius_add(-x, x, z)
  call expect(maxval(abs(z)) < 1e-14_c_double, '(-x) (+) x = 0')

  ! A non-contiguous actual argument (every other row of big) is copied in by the compiler.
  big = 0
  big(1:2*d:2, :) = x
  call ball%mobius_add(big(1:2*d:2, :), y, z)
  call expect(maxval(abs(z - ref)) < 1e-14_c_double, 'strided actual argument')

  ! Single point (d x 1) against one column.
  one(:, 1) = y(:, 5)
  call ball%mobius_add(x(:, 5:5), one, z(:, 1:1))
  call expect(maxval(abs(z(:, 1) - ref(:, 5))) < 1e-14_c_double, 'single column')

  ! real32 entry point agrees with real64.
  xf = real(x, c_float)
  yf = real(y, c_float)
  call ball%mobius_add(xf, yf, zf)
  call expect(maxval(abs(real(zf, c_double) - ref)) < 1e-5_c_double, 'f32 vs f64')

  ! VJP against central differences of the closed form (first points only).
  call ball%mobius_add_vjp(x, y, g, gx, gy)
  h = 1e-6_c_double
  do i = 1, 3
    do k = 1, d
      fx = x
      fx(k, i) = x(k, i) + h
      call mobius_add_ref(fx(:, i:i), y(:, i:i), ref(:, 1:1))
      fx(k, i) = x(k, i) - h
      call mobius_add_ref(fx(:, i:i), y(:, i:i), ref(:, 2:2))
      num = sum(g(:, i) * (ref(:, 1) - ref(:, 2))) / (2 * h)
      call expect(abs(gx(k, i) - num) < 1e-7_c_double, 'vjp grad_x')
    end do
  end do
  call expect(all(abs(gy) < 10), 'vjp grad_y finite')

  ! Errors through stat=.
  z = 2
  call ball%mobius_add(z, y, ref, stat=st)
  msg = tsr_error_message()
  call expect(st == TSR_ERR_DOMAIN .and. len(msg) > 0, 'domain error status and message')
  call expect(tsr_status_name(st) == 'TSR_ERR_DOMAIN', 'status name')
  z = x
  z(2, 3) = ieee_nan()
  call ball%mobius_add(z, y, ref, stat=st)
  call expect(st == TSR_ERR_NON_FINITE, 'non-finite status')
  call ball%mobius_add(x(:, 1:n-1), y, ref, stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'shape mismatch status (n)')
  call ball%mobius_add(x(1:d-1, :), y, ref, stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'shape mismatch status (d)')
  call tsr_set_threads(-1, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'negative thread count')
  call ball%mobius_add(x, y, z, stat=st)
  call expect(st == TSR_OK, 'stat = TSR_OK on success')

  block
    type(tsr_ball) :: bad
    call bad%init(-1.0_c_double, stat=st)
    call expect(st == TSR_ERR_INVALID_PARAMETER .and. .not. bad%is_live(), 'invalid curvature')
    call bad%mobius_add(x, y, z, stat=st)
    call expect(st == TSR_ERR_NULL_POINTER, 'uninitialised ball')
  end block

  deallocate(msg)
  call ball%free()
  call expect(.not. ball%is_live(), 'free')

  if (failures > 0) then
    print '(i0,a)', failures, ' failure(s)'
    error stop 1
  end if
  print '(a)', 'test_tessera (Fortran): all passed'

contains

  subroutine expect(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (.not. ok) then
      failures = failures + 1
      print '(2a)', 'FAILED: ', what
    end if
  end subroutine

  ! Random points strictly inside the ball, one per column.
  subroutine sample(a, salt)
    real(c_double), intent(out) :: a(:, :)
    integer, intent(in) :: salt
    integer :: j
    real(c_double) :: r
    call random_number(a)
    a = a - 0.5_c_double + 0.01_c_double * salt
    do j = 1, size(a, 2)
      call random_number(r)
      a(:, j) = a(:, j) / norm2(a(:, j)) * r * 0.9_c_double / sqrt(c)
    end do
  end subroutine

  ! x (+)_c y column by column, independently of the library.
  subroutine mobius_add_ref(a, b, o)
    real(c_double), intent(in) :: a(:, :), b(:, :)
    real(c_double), intent(out) :: o(:, :)
    integer :: j
    real(c_double) :: ab, a2, b2
    do j = 1, size(a, 2)
      ab = dot_product(a(:, j), b(:, j))
      a2 = dot_product(a(:, j), a(:, j))
      b2 = dot_product(b(:, j), b(:, j))
      o(:, j) = ((1 + 2*c*ab + c*b2) * a(:, j) + (1 - c*a2) * b(:, j)) / (1 + 2*c*ab + c*c*a2*b2)
    end do
  end subroutine

  function ieee_nan() result(v)
    use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan
    real(c_double) :: v
    v = ieee_value(v, ieee_quiet_nan)
  end function

end program test_tessera
