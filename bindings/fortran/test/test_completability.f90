! Tests of the Fortran completability layer (tessera_completability.inc), 1-based throughout:
! - rank 1: the closure of a hand-drawn 7 x 6 mask equals "row and column in one connected
!   component" of the bipartite graph, computed here by union-find; the summary agrees
!   (components, jacobian_rank = m + n - components); init and init_dense, query and dense
!   agree; estimates by both methods reproduce u_i v_j to 1e-10 exactly where completable,
!   NaN / +Inf / 0 estimators elsewhere;
! - rank 2: a 10 x 9 rank-2 matrix with a scattered quarter hidden and its last row observed
!   once: minors reproduce the truth to 1e-8 exactly where the closure says completable (all
!   but the pruned row), the first-order variances are finite exactly there;
! - the phase transition stays in [0, 1] and grows from x = 0.3 to x = 3;
! - statuses through stat= for library errors and Fortran-side length checks; outputs untouched.
! Exits with status 1 on any failure.
program test_completability
  use, intrinsic :: iso_c_binding
  use, intrinsic :: ieee_arithmetic, only: ieee_is_nan, ieee_is_finite
  use tessera
  implicit none
  integer, parameter :: m1 = 7, n1 = 6, nobs1 = 9, m2 = 10, n2 = 9
  ! Rows 1-3 with columns 1-3 (a spanning path), rows 4-5 with columns 4-5, row 6 with column 6
  ! alone, row 7 empty: four components.
  integer, parameter :: rows1(nobs1) = [1, 1, 2, 2, 3, 4, 4, 5, 6]
  integer, parameter :: cols1(nobs1) = [1, 2, 2, 3, 1, 4, 5, 5, 6]
  real(c_double), parameter :: u1(m1) = [1.5d0, -2d0, 0.5d0, 3d0, -1d0, 2d0, 0.75d0]
  real(c_double), parameter :: v1(n1) = [2d0, 1d0, -0.5d0, 4d0, 0.25d0, -3d0]
  type(tsr_closure) :: c, c2
  type(tsr_completability_info) :: info
  integer :: parent(m1 + n1), qr(m1 * n1), qc(m1 * n1), k(m1 * n1)
  logical :: flags(m1 * n1), all1(m1, n1), all2(m1, n1), mask(m1, n1), want
  real(c_double) :: values1(nobs1), est(m1 * n1), var(m1 * n1)
  real(c_double) :: u2(m2, 2), v2(n2, 2), a2(m2, n2)
  integer, allocatable :: rows2(:), cols2(:), qr2(:), qc2(:), k2(:)
  real(c_double), allocatable :: values2(:), est2(:), var2(:), fo2(:)
  logical, allocatable :: in2(:)
  real(c_double) :: frac(3), worst, out(2)
  integer :: full(3), failures, st, i, j, q, e, method, mismatches, ncomp, nobs2, nq2, cnt

  failures = 0

  ! ---- rank 1 -----------------------------------------------------------------------------
  parent = [(i, i = 1, m1 + n1)]
  do e = 1, nobs1
    parent(find(rows1(e))) = find(m1 + cols1(e))
  end do
  ncomp = count([(find(i) == i, i = 1, m1 + n1)])
  q = 0
  do j = 1, n1
    do i = 1, m1
      q = q + 1
      qr(q) = i
      qc(q) = j
    end do
  end do
  call c%init(m1, n1, rows1, cols1, 1, stat=st)
  call expect(st == TSR_OK .and. c%is_live(), 'rank 1: init')
  call c%query(qr, qc, flags, stat=st)
  call expect(st == TSR_OK, 'rank 1: query')
  mismatches = 0
  do q = 1, m1 * n1
    want = find(qr(q)) == find(m1 + qc(q))
    if (flags(q) .neqv. want) mismatches = mismatches + 1
  end do
  call expect(mismatches == 0, 'rank 1: closure = union-find components')
  call expect(flags(3 + m1 * 2) .and. flags(5 + m1 * 3) .and. .not. flags(1 + m1 * 3) .and. .not. flags(7), &
      'rank 1: hand-checked entries')
  call c%dense(all1, stat=st)
  call expect(st == TSR_OK .and. all(all1 .eqv. reshape(flags, [m1, n1])), 'rank 1: dense = query')
  call c%info(info, stat=st)
  call expect(st == TSR_OK .and. info%rank == 1 .and. info%full_rank == m1 + n1 - 1, 'rank 1: info rank')
  call expect(info%components == ncomp .and. ncomp == 4 .and. info%jacobian_rank == m1 + n1 - ncomp, &
      'rank 1: info components')
  call expect(info%deficiency == info%full_rank - info%jacobian_rank .and. info%finitely_completable == 0, &
      'rank 1: info deficiency')
  mask = .false.
  do e = 1, nobs1
    mask(rows1(e), cols1(e)) = .true.
  end do
  call c2%init_dense(mask, 1, stat=st)
  call c2%dense(all2, stat=st)
  call expect(st == TSR_OK .and. all(all2 .eqv. all1), 'rank 1: init_dense = init')
  call c2%free()
  call expect(.not. c2%is_live(), 'free')
  print '(a, i0, a, i0, a)', 'rank 1: ', ncomp, ' components, ', mismatches, ' mismatches against union-find'

  do e = 1, nobs1
    values1(e) = u1(rows1(e)) * v1(cols1(e))
  end do
  do method = 1, 2
    k = -1
    if (method == 1) then
      call tsr_complete_matrix(m1, n1, rows1, cols1, values1, 1, qr, qc, est, variance=var, estimators=k, &
          method=TSR_COMPLETABILITY_MIN_VARIANCE, stat=st)
    else
      call tsr_complete_matrix(m1, n1, rows1, cols1, values1, 1, qr, qc, est, variance=var, estimators=k, &
          method=TSR_COMPLETABILITY_PATH, stat=st)
    end if
    call expect(st == TSR_OK, 'rank 1: complete')
    do q = 1, m1 * n1
      if (flags(q)) then
        call expect(abs(est(q) - u1(qr(q)) * v1(qc(q))) <= 1d-10 * abs(u1(qr(q)) * v1(qc(q))), 'rank 1: estimate')
        call expect(ieee_is_finite(var(q)) .and. var(q) >= 0 .and. k(q) >= 1, 'rank 1: variance finite')
      else
        call expect(ieee_is_nan(est(q)) .and. .not. ieee_is_finite(var(q)) .and. var(q) > 0 .and. k(q) == 0, &
            'rank 1: undetermined entry')
      end if
    end do
  end do

  ! ---- rank 2 -----------------------------------------------------------------------------
  cnt = 0
  do i = 1, m2
    u2(i, :) = [uniform(cnt + 1), uniform(cnt + 2)]
    cnt = cnt + 2
  end do
  do j = 1, n2
    v2(j, :) = [uniform(cnt + 1), uniform(cnt + 2)]
    cnt = cnt + 2
  end do
  a2 = matmul(u2, transpose(v2))
  nobs2 = 0
  nq2 = 0
  allocate(rows2(m2 * n2), cols2(m2 * n2), values2(m2 * n2), qr2(m2 * n2), qc2(m2 * n2))
  do j = 1, n2
    do i = 1, m2
      if (modulo(i - 1 + 3 * (j - 1), 4) == 0 .or. (i == m2 .and. j /= 1)) then
        nq2 = nq2 + 1
        qr2(nq2) = i
        qc2(nq2) = j
      else
        nobs2 = nobs2 + 1
        rows2(nobs2) = i
        cols2(nobs2) = j
        values2(nobs2) = a2(i, j)
      end if
    end do
  end do
  rows2 = rows2(1:nobs2)
  cols2 = cols2(1:nobs2)
  values2 = values2(1:nobs2)
  qr2 = qr2(1:nq2)
  qc2 = qc2(1:nq2)
  allocate(in2(nq2), est2(nq2), var2(nq2), fo2(nq2), k2(nq2))
  call c%init(m2, n2, rows2, cols2, 2, stat=st)
  call c%info(info, stat=st)
  call expect(st == TSR_OK .and. info%rank == 2 .and. info%finitely_completable == 0, 'rank 2: info')
  call expect(info%pruned_rows == 1 .and. info%pruned_cols == 0, 'rank 2: last row pruned')
  call c%query(qr2, qc2, in2, stat=st)
  call expect(st == TSR_OK .and. all(in2 .eqv. (qr2 /= m2)), 'rank 2: all but the pruned row completable')
  call tsr_complete_matrix(m2, n2, rows2, cols2, values2, 2, qr2, qc2, est2, variance=var2, estimators=k2, stat=st)
  call expect(st == TSR_OK, 'rank 2: complete')
  call tsr_matrix_variance(m2, n2, rows2, cols2, values2, 2, qr2, qc2, fo2, stat=st)
  call expect(st == TSR_OK, 'rank 2: variance')
  worst = 0
  do q = 1, nq2
    if (in2(q)) then
      worst = max(worst, abs(est2(q) - a2(qr2(q), qc2(q))) / abs(a2(qr2(q), qc2(q))))
      call expect(k2(q) >= 1 .and. ieee_is_finite(var2(q)), 'rank 2: completed entry')
      call expect(ieee_is_finite(fo2(q)) .and. fo2(q) > 0, 'rank 2: first-order variance finite')
    else
      call expect(k2(q) == 0 .and. ieee_is_nan(est2(q)) .and. .not. ieee_is_finite(var2(q)), 'rank 2: undetermined')
      call expect(.not. ieee_is_finite(fo2(q)) .and. fo2(q) > 0, 'rank 2: first-order variance +Inf')
    end if
  end do
  call expect(worst < 1d-8, 'rank 2: truth to 1e-8')
  print '(a, i0, a, i0, a, es9.2)', 'rank 2: ', count(in2), ' of ', nq2, &
      ' hidden entries completable, largest relative error ', worst
  ! Observation variances of 4 multiply the first-order variances by 4.
  call tsr_matrix_variance(m2, n2, rows2, cols2, values2, 2, qr2, qc2, var2, variances=[(4d0, e = 1, nobs2)], stat=st)
  call expect(st == TSR_OK .and. all(abs(var2 - 4 * fo2) <= 1d-8 * var2 .or. .not. in2), 'rank 2: variances scale')

  ! ---- phase transition --------------------------------------------------------------------
  call tsr_phase_transition(20, 2, [0.3d0, 1d0, 3d0], 3, frac, full, seed=5_c_int64_t, stat=st)
  call expect(st == TSR_OK .and. all(frac >= 0 .and. frac <= 1) .and. all(full >= 0 .and. full <= 3), 'phase: ranges')
  call expect(frac(1) <= frac(2) .and. frac(2) <= frac(3) .and. frac(1) < 0.5d0 .and. frac(3) > 0.9d0, 'phase: grows')
  print '(a, 3f7.3)', 'phase transition n = 20, r = 2: fractions', frac

  ! ---- errors --------------------------------------------------------------------------------
  out = -12345
  call tsr_complete_matrix(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], [1d0, 2d0, 4d0, 8d0, 0.5d0], 3, [3, 2], [3, 1], out, &
      stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER .and. tsr_error_message() /= '', 'rank 3 of 3 x 3: TSR_ERR_INVALID_PARAMETER')
  call tsr_complete_matrix(3, 3, [1, 1, 2, 2, 8], [1, 2, 2, 3, 1], [1d0, 2d0, 4d0, 8d0, 0.5d0], 1, [3, 2], [3, 1], out, &
      stat=st)
  call expect(st == TSR_ERR_DOMAIN, 'row 8 of 3: TSR_ERR_DOMAIN')
  call tsr_complete_matrix(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], [1d0, 2d0, 4d0, 8d0, 0.5d0], 1, [3, 2], [0, 1], out, &
      stat=st)
  call expect(st == TSR_ERR_DOMAIN, 'query column 0 (1-based): TSR_ERR_DOMAIN')
  call tsr_complete_matrix(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], [1d0, 2d0, 4d0, 8d0, 0.5d0], 1, [3, 2], [3, 1], out, &
      method=7, stat=st)
  call expect(st == TSR_ERR_INVALID_ENUM, 'method 7: TSR_ERR_INVALID_ENUM')
  call tsr_complete_matrix(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], [1d0, 2d0, 4d0, 8d0, 0.5d0], 1, [3, 2], [3, 1], out, &
      variances=[1d0, 1d0, -1d0, 1d0, 1d0], stat=st)
  call expect(st == TSR_ERR_DOMAIN, 'negative variance: TSR_ERR_DOMAIN')
  call tsr_matrix_variance(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], [1d0, 2d0, 4d0, 8d0, 0.5d0], 1, [3, 2], [3, 1], out, &
      num_threads=-1, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'num_threads -1: TSR_ERR_INVALID_PARAMETER')
  call expect(all(out == -12345), 'errors write nothing')
  call tsr_complete_matrix(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3], [1d0, 2d0, 4d0, 8d0, 0.5d0], 1, [3, 2], [3, 1], out, &
      stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'rows/cols lengths: TSR_ERR_SHAPE_MISMATCH')
  call tsr_complete_matrix(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], [1d0, 2d0, 4d0, 8d0, 0.5d0], 1, [3, 2], [3, 1], &
      out(1:1), stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'estimate length: TSR_ERR_SHAPE_MISMATCH')
  call tsr_phase_transition(10, 2, [1d0, -1d0], 2, out, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER, 'phase x < 0: TSR_ERR_INVALID_PARAMETER')
  call c2%init(3, 3, [1, 1, 2, 2, 3], [1, 2, 2, 3, 1], 1, trials=0, stat=st)
  call expect(st == TSR_ERR_INVALID_PARAMETER .and. .not. c2%is_live(), 'trials 0: TSR_ERR_INVALID_PARAMETER')
  call c2%init(3, 3, [1, 1, 2, 2, 1], [1, 2, 2, 3, 2], 1, stat=st)
  call expect(st == TSR_ERR_DOMAIN .and. .not. c2%is_live(), 'entry (1, 2) twice: TSR_ERR_DOMAIN')
  call c2%info(info, stat=st)
  call expect(st == TSR_ERR_NULL_POINTER, 'info without a handle: TSR_ERR_NULL_POINTER')
  call c%query([1, 2], [1], flags(1:2), stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'query lengths: TSR_ERR_SHAPE_MISMATCH')
  call c%dense(all1, stat=st)
  call expect(st == TSR_ERR_SHAPE_MISMATCH, 'dense of a 10 x 9 closure into 7 x 6: TSR_ERR_SHAPE_MISMATCH')
  call c%query([m2 + 1], [1], flags(1:1), stat=st)
  call expect(st == TSR_ERR_DOMAIN, 'query row m + 1: TSR_ERR_DOMAIN')
  call c%free()
  deallocate(rows2, cols2, values2, qr2, qc2, in2, est2, var2, fo2, k2)

  if (failures > 0) then
    print '(a, i0, a)', 'test_completability (Fortran): ', failures, ' failed'
    error stop 1
  end if
  print '(a)', 'test_completability (Fortran): all passed'

contains

  recursive integer function find(v) result(r)
    integer, intent(in) :: v
    r = v
    if (parent(v) /= v) then
      r = find(parent(v))
      parent(v) = r
    end if
  end function

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

end program
