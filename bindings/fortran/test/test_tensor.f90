! Tests of the Fortran tensor layer (tessera_tensor.inc): recovery of a 20 x 15 x 10 tensor of
! Tucker rank (2,2,2) from about half its entries, the rank-3, any-order and coordinate forms
! agreeing exactly, Tucker and components reconstruction, a progress callback cancelling at
! iteration 3, and statuses through stat=. Exits with status 1 on any failure.
module tensor_test_callbacks
  use, intrinsic :: iso_c_binding
  use tessera
  implicit none
contains
  ! Counts its calls in the integer behind `user`; cancels at iteration 3.
  integer(c_int32_t) function stop_at_3(user, p) bind(C)
    type(c_ptr), value :: user
    type(tsr_progress), intent(in) :: p
    integer(c_int64_t), pointer :: calls
    call c_f_pointer(user, calls)
    calls = calls + 1
    stop_at_3 = 0
    if (p%iteration >= 3) stop_at_3 = 1
  end function
end module

program test_tensor
  use, intrinsic :: iso_c_binding
  use tessera
  use tensor_test_callbacks
  implicit none
  integer, parameter :: n1 = 20, n2 = 15, n3 = 10, nt = n1 * n2 * n3
  real(c_double) :: x(n1, n2, n3), y(n1, n2, n3), est(n1, n2, n3), est2(n1, n2, n3), z(n1, n2, n3)
  real(c_double) :: core0(2, 2, 2), u1(n1, 2), u2(n2, 2), u3(n3, 2)
  logical :: mask(n1, n2, n3)
  integer, allocatable :: coords(:,:)
  real(c_double), allocatable :: obs(:), core(:), w(:)
  type(tsr_matrix), allocatable :: factors(:), loadings(:)
  type(tsr_tensor_info) :: info, info2
  integer(c_int64_t), target :: calls
  type(c_funptr) :: callback
  real(c_double) :: fit
  integer :: failures, st, i, j, k, a, b, c, nobs, cnt

  failures = 0
  cnt = 0
  call fill(core0, size(core0))
  core0(1, 1, 1) = core0(1, 1, 1) + 2
  call fill(u1, size(u1))
  call fill(u2, size(u2))
  call fill(u3, size(u3))
  do k = 1, n3
    do j = 1, n2
      do i = 1, n1
        x(i, j, k) = 0
        do c = 1, 2
          do b = 1, 2
            do a = 1, 2
              x(i, j, k) = x(i, j, k) + core0(a, b, c) * u1(i, a) * u2(j, b) * u3(k, c)
            end do
          end do
        end do
        cnt = cnt + 1
        mask(i, j, k) = uniform(100000 + cnt) < 0
      end do
    end do
  end do
  y = x
  where (.not. mask) y = ieee_nan()  ! unobserved values are never read

  ! Rank-3 form.
  call tsr_complete(y, mask, est, tol=1e-4_c_double, info=info, stat=st)
  call expect(st == TSR_OK, 'complete: TSR_OK')
  call expect(rel(est, x) < 1e-2_c_double, 'complete: relative error < 1e-2')
  call expect(all(info%ranks(1:3) == 2) .and. all(info%ranks(4:) == 0), 'complete: ranks (2,2,2)')
  call expect(info%iterations >= 1 .and. info%duality_gap < 1e-4_c_double, 'complete: info')
  print '(a, i0, a, es9.2)', 'complete: ', info%iterations, ' iterations, relative error ', rel(est, x)

  ! Any order (assumed-size + dims) and coordinates (1-based) give the same numbers.
  call tsr_complete_n([n1, n2, n3], y, mask, est2, tol=1e-4_c_double, stat=st)
  call expect(st == TSR_OK .and. all(est2 == est), 'tsr_complete_n equals the rank-3 form')
  nobs = count(mask)
  allocate(coords(3, nobs), obs(nobs))
  nobs = 0
  do k = 1, n3
    do j = 1, n2
      do i = 1, n1
        if (mask(i, j, k)) then
          nobs = nobs + 1
          coords(:, nobs) = [i, j, k]
          obs(nobs) = x(i, j, k)
        end if
      end do
    end do
  end do
  call tsr_complete_coo([n1, n2, n3], coords, obs, est2, tol=1e-4_c_double, info=info2, stat=st)
  call expect(st == TSR_OK .and. all(est2 == est), 'complete_coo equals the dense form')
  call expect(info2%iterations == info%iterations, 'complete_coo: same iterations')

  ! Methods and options.
  call tsr_complete(y, mask, est2, method=TSR_TENSOR_AS_MATRIX, mode=3, lambda=1e-3_c_double, &
      gamma=[1.0_c_double, 2.0_c_double, 3.0_c_double], num_threads=2, stat=st)
  call expect(st == TSR_OK, 'as_matrix with custom weights')
  call tsr_complete(y, mask, est2, method=TSR_TENSOR_LATENT, weights=TSR_TENSOR_WEIGHTS_SCALED, stat=st)
  call expect(st == TSR_OK, 'latent, scaled')

  ! Tucker reconstructs x exactly.
  call tsr_tucker([n1, n2, n3], x, [2, 2, 2], core, factors, stat=st)
  call expect(st == TSR_OK .and. size(core) == 8 .and. size(factors) == 3, 'tucker')
  call expect(all(shape(factors(1)%a) == [n1, 2]) .and. all(shape(factors(3)%a) == [n3, 2]), 'tucker: factor shapes')
  call expect(maxval(abs(matmul(transpose(factors(2)%a), factors(2)%a) - eye2())) < 1e-12_c_double, 'tucker: orthonormal')
  do k = 1, n3
    do j = 1, n2
      do i = 1, n1
        z(i, j, k) = 0
        do c = 1, 2
          do b = 1, 2
            do a = 1, 2
              z(i, j, k) = z(i, j, k) + core(a + 2 * (b - 1) + 4 * (c - 1)) * factors(1)%a(i, a) * factors(2)%a(j, b) &
                  * factors(3)%a(k, c)
            end do
          end do
        end do
      end do
    end do
  end do
  call expect(rel(z, x) < 1e-12_c_double, 'tucker reconstructs')

  ! Components with 3 terms fit essentially exactly.
  call tsr_components([n1, n2, n3], x, [2, 2, 2], 3, w, loadings, fit=fit, max_iter=5000, stat=st)
  call expect(st == TSR_OK .and. size(w) == 3 .and. fit > 0.99_c_double, 'components')
  do k = 1, n3
    do j = 1, n2
      do i = 1, n1
        z(i, j, k) = sum(w * loadings(1)%a(i, :) * loadings(2)%a(j, :) * loadings(3)%a(k, :))
      end do
    end do
  end do
  call expect(rel(z, x) < 1e-2_c_double, 'components reconstruct')

  ! Progress: cancelled at iteration 3, best iterate written.
  calls = 0
  est2 = -12345
  callback = c_funloc(stop_at_3)  ! (a variable: a c_funloc temporary in .rodata makes a text relocation)
  call tsr_complete(y, mask, est2, tol=1e-12_c_double, progress=callback, progress_user=c_loc(calls), &
      num_threads=2, info=info2, stat=st)
  call expect(st == TSR_ERR_CANCELLED, 'progress: TSR_ERR_CANCELLED')
  call expect(calls == 3 .and. info2%iterations == 3, 'progress: three calls')
  call expect(all(est2 /= -12345), 'progress: estimate written')
  call expect(tsr_error_message() /= '', 'progress: message')
  ! Not converged: also written, stat says so.
  call tsr_complete(y, mask, est2, max_iter=2, info=info2, stat=st)
  call expect(st == TSR_ERR_NOT_CONVERGED .and. info2%iterations == 2, 'max_iter = 2: TSR_ERR_NOT_CONVERGED')

  ! Errors through stat=: nothing is written.
  est2 = -12345
  z = y
  z(1, 1, 1) = 0
  do k = 1, n3
    if (mask(1, 1, k)) then
      z(1, 1, k) = ieee_nan()
      exit
    end if
  end do
  call tsr_complete(z, mask, est2, stat=st)
  call expect(st == TSR_ERR_NON_FINITE, 'NaN observed: TSR_ERR_NON_FINITE')
  call tsr_complete(y, mask .and. .false., est2, stat=st)
  call expect(st == TSR_ERR_DOMAIN, 'nothing observed: TSR_ERR_DOMAIN')
  call tsr_complete(y, mask, est2, lambda=-1.0_c_double, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'lambda < 0: TSR_ERR_INVALID_PARAMETER')
  call tsr_complete(y, mask, est2, tol=0.0_c_double, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'tol = 0: TSR_ERR_INVALID_PARAMETER')
  call tsr_complete(y, mask, est2, method=TSR_TENSOR_AS_MATRIX, mode=4, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'mode 4 of 3: TSR_ERR_INVALID_PARAMETER')
  call tsr_complete(y, mask, est2, method=7, stat=st)
  call expect(st == TSR_ERR_INVALID_ENUM, 'method 7: TSR_ERR_INVALID_ENUM')
  call expect(tsr_status_name(st) == 'TSR_ERR_INVALID_ENUM' .and. tsr_error_message() /= '', 'message of an error')
  call tsr_complete(y, mask, est2, gamma=[1.0_c_double], stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'gamma too short: TSR_ERR_SHAPE_MISMATCH')
  call tsr_complete(y(:, :, 1:2), mask, est2(:, :, 1:2), stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'mask shape: TSR_ERR_SHAPE_MISMATCH')
  call tsr_complete_n([n1, -n2, n3], y, mask, est2, stat=st)
  call expect(st == TSR_ERR_BAD_EXTENT, 'negative extent: TSR_ERR_BAD_EXTENT')
  coords(2, 1) = n2 + 1
  call tsr_complete_coo([n1, n2, n3], coords, obs, est2, stat=st)
  call expect(st == TSR_ERR_DOMAIN, 'coordinate out of range: TSR_ERR_DOMAIN')
  coords(:, 1) = coords(:, 2)
  call tsr_complete_coo([n1, n2, n3], coords, obs, est2, stat=st)
  call expect(st == TSR_ERR_DOMAIN, 'duplicate coordinate: TSR_ERR_DOMAIN')
  call expect(all(est2 == -12345), 'errors write nothing')
  call tsr_tucker([n1, n2, n3], x, [2, 0, 2], core, factors, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'tucker rank 0: TSR_ERR_INVALID_PARAMETER')
  call tsr_components([n1, n2, n3], x, [2, 2, 2], 0, w, loadings, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'components rank 0: TSR_ERR_INVALID_PARAMETER')

  if (failures > 0) then
    print '(a, i0, a)', 'test_tensor (Fortran): ', failures, ' failed'
    error stop 1
  end if
  print '(a)', 'test_tensor (Fortran): all passed'

contains

  subroutine expect(ok, what)
    logical, intent(in) :: ok
    character(len=*), intent(in) :: what
    if (.not. ok) then
      failures = failures + 1
      print '(2a)', 'FAILED: ', what
    end if
  end subroutine

  ! Deterministic numbers in [-1, 1).
  real(c_double) function uniform(i)
    integer, intent(in) :: i
    uniform = 2 * modulo(sin(real(i, c_double) * 12.9898_c_double) * 43758.5453_c_double, 1.0_c_double) - 1
  end function

  subroutine fill(a, n)
    integer, intent(in) :: n
    real(c_double), intent(out) :: a(n)
    integer, save :: counter = 0
    integer :: i
    do i = 1, n
      counter = counter + 1
      a(i) = uniform(counter)
    end do
  end subroutine

  real(c_double) function rel(a, b)
    real(c_double), intent(in) :: a(:,:,:), b(:,:,:)
    rel = sqrt(sum((a - b)**2) / sum(b**2))
  end function

  function eye2() result(e)
    real(c_double) :: e(2, 2)
    e = reshape([1, 0, 0, 1], [2, 2])
  end function

  real(c_double) function ieee_nan()
    use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan
    ieee_nan = ieee_value(1.0_c_double, ieee_quiet_nan)
  end function

end program
